"""The long-term-care premium on the portal's pages: offered beside the resident premium where the
region sets a rate for the open year (by name, with its amount), paid through the same check step,
and named in every list, receipt and record that shows a payment; in Chinese by default, in English
when asked."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from insurees.models import PremiumKind
from ledger.models import Account
from payments.models import Payment
from tests.factories import (
    SUZHOU,
    BindingFactory,
    EmployeeFactory,
    LongTermCareRateFactory,
    PersonFactory,
    PledgeFactory,
    PremiumRateFactory,
    ResidentFactory,
    user_for,
)
from tests.pages.paying import choose, confirm, pay
from tests.payments.invariants import Snapshot
from tests.payments.test_receipts import poppler

LTC = PremiumKind.LONG_TERM_CARE


@pytest.fixture
def year():
    return timezone.localdate().year + 1


@pytest.fixture
def family(db, year):
    """An employee with ¥1,000.00 bound to his father in Dalian, where the resident premium is ¥420.00
    and the long-term-care premium ¥120.00."""
    PledgeFactory()
    PremiumRateFactory(year=year)
    LongTermCareRateFactory(year=year, amount_fen=12_000)
    son = EmployeeFactory(balance_fen=100_000, person=PersonFactory(name="张建国"))
    father = BindingFactory(authorizer=son, beneficiary=ResidentFactory(person=PersonFactory(name="张德明")))
    return son, father


def signed_in(client, person, language=None):
    client.force_login(user_for(person))
    if language:
        client.cookies["django_language"] = language
    return client


def text_of(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}">([^<]*)<', html)
    assert found, element_id
    return found.group(1)


def kind_options(html: str) -> list[str]:
    """The premium choices the page offers, as their labels read."""
    return [
        re.sub(r"\s+", " ", label).strip()
        for label in re.findall(r'name="premium_kind" value="[^"]+"[^>]*> <span>([^<]*)</span>', html)
    ]


def test_the_pay_page_offers_the_long_term_care_premium_by_name_with_its_amount(client, family):
    son, _father = family

    page = signed_in(client, son.person).get(reverse("pay")).content.decode()

    assert kind_options(page) == ["城乡居民基本医疗保险（¥420.00）", "长期护理保险（¥120.00）"]
    assert "缴费险种" in page
    assert "long_term_care" not in re.sub(r'value="long_term_care"', "", page)  # a name, never the code


def test_a_region_without_a_long_term_care_rate_offers_no_choice_of_premium(client, db, year):
    PledgeFactory()
    PremiumRateFactory(region_code=SUZHOU, year=year)
    LongTermCareRateFactory(year=year)  # Dalian's: no relative of this authorizer lives there
    son = EmployeeFactory(region_code=SUZHOU)
    BindingFactory(authorizer=son, beneficiary=ResidentFactory(region_code=SUZHOU))

    page = signed_in(client, son.person).get(reverse("pay")).content.decode()

    assert 'name="premium_kind"' not in page
    assert "长期护理保险" not in page


def test_the_long_term_care_premium_is_checked_before_it_is_paid_and_then_named_everywhere(
    client, family, year
):
    son, father = family
    signed_in(client, son.person)
    body = {
        "year": year,
        "beneficiaries": [father.beneficiary_id],
        "premium_kind": LTC,
        "idempotency_key": "ltc",
    }
    before = Snapshot()

    check_url = choose(client, "pay", body)
    check = client.get(check_url).content.decode()

    assert "长期护理保险保费" in check
    assert (text_of(check, "total"), text_of(check, "balance-after")) == ("¥120.00", "¥880.00")
    before.assert_unchanged()  # the check page moves nothing

    done = confirm(client, check_url, follow=True).content.decode()

    payment = Payment.objects.get()
    assert (payment.kind, payment.amount_fen) == (LTC, 12_000)
    assert Account.objects.get(pk=son.account_id).balance_fen == 88_000
    assert "长期护理保险" in done
    assert text_of(done, "total") == "¥120.00"
    records = client.get(reverse("records")).content.decode()
    detail = client.get(reverse("payment-detail", args=[payment.pk])).content.decode()
    assert "长期护理保险" in records
    assert "长期护理保险" in detail
    verify = client.get(
        reverse("receipt-verify"), {"reference": payment.reference, "code": payment.verification_code}
    ).content.decode()
    assert "长期护理保险" in verify


def test_in_english_the_check_page_names_the_long_term_care_premium(client, family, year):
    son, father = family
    signed_in(client, son.person, language="en")

    page = client.get(reverse("pay")).content.decode()
    check_url = choose(
        client,
        "pay",
        {
            "year": year,
            "beneficiaries": [father.beneficiary_id],
            "premium_kind": LTC,
            "idempotency_key": "en",
        },
    )
    check = client.get(check_url).content.decode()

    assert kind_options(page) == [
        "Urban and rural resident basic medical insurance (¥420.00)",
        "Long-term-care insurance (¥120.00)",
    ]
    assert "Long-term-care insurance premium" in check


def test_both_premiums_are_paid_one_after_the_other_and_the_second_long_term_care_one_is_refused(
    client, family, year
):
    son, father = family
    signed_in(client, son.person)
    chosen = {"year": year, "beneficiaries": [father.beneficiary_id]}

    pay(client, "pay", {**chosen, "premium_kind": PremiumKind.RESIDENT_MEDICAL, "idempotency_key": "r"})
    pay(client, "pay", {**chosen, "premium_kind": LTC, "idempotency_key": "l"})
    before = Snapshot()
    again = client.post(reverse("pay"), {**chosen, "premium_kind": LTC, "idempotency_key": "l2"})

    assert sorted(Payment.objects.values_list("kind", flat=True)) == [LTC, PremiumKind.RESIDENT_MEDICAL]
    assert again.status_code == 400
    assert f"{year}年度的长期护理保险保费已缴纳。" in again.content.decode()
    before.assert_unchanged()


def test_a_relative_whose_region_sets_no_long_term_care_rate_is_refused_at_the_first_step(
    client, family, year
):
    son, father = family
    PremiumRateFactory(region_code=SUZHOU, year=year)
    suzhou = BindingFactory(authorizer=son, beneficiary=ResidentFactory(region_code=SUZHOU))
    signed_in(client, son.person)
    before = Snapshot()

    refused = client.post(
        reverse("pay"),
        {
            "year": year,
            "beneficiaries": [father.beneficiary_id, suzhou.beneficiary_id],
            "premium_kind": LTC,
            "idempotency_key": "two-cities",
        },
    )

    assert refused.status_code == 400
    assert "本地区本年度尚未设定长期护理保险保费。" in refused.content.decode()
    before.assert_unchanged()


def test_an_unknown_premium_is_refused_on_its_field(client, family, year):
    son, father = family
    signed_in(client, son.person)
    before = Snapshot()

    refused = client.post(
        reverse("pay"),
        {
            "year": year,
            "beneficiaries": [father.beneficiary_id],
            "premium_kind": "dental",
            "idempotency_key": "x",
        },
    )

    assert refused.status_code == 400
    assert "请从列出的险种中选择一项。" in refused.content.decode()
    before.assert_unchanged()


def test_the_relative_pays_his_own_long_term_care_premium_through_the_check_page(client, family, year):
    son, father = family
    signed_in(client, father.beneficiary.person)

    page = client.get(reverse("pay-self")).content.decode()
    check_url = choose(client, "pay-self", {"year": year, "premium_kind": LTC, "idempotency_key": "own"})
    check = client.get(check_url).content.decode()
    confirm(client, check_url)

    assert kind_options(page) == ["城乡居民基本医疗保险（¥420.00）", "长期护理保险（¥120.00）"]
    assert "长期护理保险保费" in check
    assert text_of(check, "total") == "¥120.00"
    payment = Payment.objects.get()
    assert (payment.kind, payment.channel, payment.authorizer_id) == (LTC, "self", son.pk)


def test_the_home_page_shows_each_premium_due_by_name_and_amount(client, family, year):
    son, father = family

    home = signed_in(client, son.person).get(reverse("home")).content.decode()

    assert "城乡居民基本医疗保险" in home
    assert "长期护理保险" in home
    assert "¥120.00" in home
    assert "¥420.00" in home


def test_the_receipt_of_a_long_term_care_payment_names_it(client, family, year, tmp_path):
    son, father = family
    signed_in(client, son.person)
    pay(
        client,
        "pay",
        {
            "year": year,
            "beneficiaries": [father.beneficiary_id],
            "premium_kind": LTC,
            "idempotency_key": "pdf",
        },
    )
    payment = Payment.objects.get()

    pdf = tmp_path / "receipt.pdf"
    pdf.write_bytes(client.get(reverse("receipt", args=[payment.pk])).content)
    text = poppler("pdftotext", "-layout", str(pdf), "-")

    assert "长期护理保险个人缴费凭证" in text
    assert f"{year}年度长期护理保险" in text
    assert "城乡居民" not in text
