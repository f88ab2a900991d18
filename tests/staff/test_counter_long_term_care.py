"""The long-term-care premium at the counter and in the review: the counter offers it where the
applicant's people live in a region with a rate, checks it with the applicant before paying, and lists
it by name; the auditors' review and its CSV name the kind of every payment."""

import re

import pytest
from django.urls import reverse

from insurees.models import PremiumKind
from ledger.models import Account
from payments.models import Payment
from staff.models import AuditRecord
from tests.factories import (
    SUZHOU,
    BindingFactory,
    LongTermCareRateFactory,
    PremiumRateFactory,
    ResidentFactory,
)
from tests.pages.paying import choose, confirm
from tests.payments.invariants import Snapshot
from tests.staff.test_counter_paying import serving, text_of

LTC = PremiumKind.LONG_TERM_CARE


@pytest.fixture
def ltc_world(world, year):
    """The world's Dalian region also sets a long-term-care premium of ¥120.00."""
    LongTermCareRateFactory(year=year, amount_fen=12_000)
    return world


def test_the_counter_offers_checks_and_pays_the_long_term_care_premium(client, clerk, ltc_world, year):
    son = ltc_world.authorizer
    serving(client, clerk, son.person)
    payee = f"relative-{ltc_world.beneficiary_id}"

    person_page = client.get(reverse("staff:person")).content.decode()
    before = Snapshot()
    check_url = choose(
        client, "staff:pay", {"payee": payee, "premium_kind": LTC, "year": year, "idempotency_key": "ltc"}
    )
    check = client.get(check_url).content.decode()

    assert 'name="premium_kind" value="long_term_care"' in person_page
    assert "长期护理保险（¥120.00）" in person_page
    assert "长期护理保险保费" in check
    assert (text_of(check, "total"), text_of(check, "balance-after")) == ("¥120.00", "¥880.00")
    before.assert_unchanged()

    done = confirm(client, check_url, follow=True).content.decode()

    payment = Payment.objects.get()
    assert (payment.kind, payment.channel, payment.counter_id) == (LTC, "counter", "DL-05")
    assert Account.objects.get(pk=son.account_id).balance_fen == 88_000
    assert AuditRecord.objects.get(action="payment_create").details["kind"] == LTC
    assert "长期护理保险" in done
    listed = client.get(reverse("staff:person")).content.decode()
    assert re.search(rf"{payment.reference}</span></td>\s*<td[^>]*>长期护理保险</td>", listed)


def test_a_walk_in_resident_pays_his_own_long_term_care_premium_by_the_rule(client, clerk, ltc_world, year):
    serving(client, clerk, ltc_world.beneficiary.person)

    check_url = choose(
        client, "staff:pay", {"payee": "self", "premium_kind": LTC, "year": year, "idempotency_key": "own"}
    )
    confirm(client, check_url)

    payment = Payment.objects.get()
    assert (payment.kind, payment.amount_fen, payment.authorizer_id) == (LTC, 12_000, ltc_world.authorizer_id)


def test_the_counter_refuses_the_long_term_care_premium_of_a_relative_where_no_rate_is_set(
    client, clerk, ltc_world, year
):
    PremiumRateFactory(region_code=SUZHOU, year=year)
    suzhou = BindingFactory(authorizer=ltc_world.authorizer, beneficiary=ResidentFactory(region_code=SUZHOU))
    serving(client, clerk, ltc_world.authorizer.person)
    before = Snapshot()

    refused = client.post(
        reverse("staff:pay"),
        {
            "payee": f"relative-{suzhou.beneficiary_id}",
            "premium_kind": LTC,
            "year": year,
            "idempotency_key": "n",
        },
    )

    assert refused.status_code == 400
    assert "本地区本年度尚未设定长期护理保险保费。" in refused.content.decode()
    before.assert_unchanged()


def test_a_premium_not_offered_is_refused_on_its_field(client, clerk, world, year):
    serving(client, clerk, world.authorizer.person)
    before = Snapshot()

    refused = client.post(
        reverse("staff:pay"),
        {
            "payee": f"relative-{world.beneficiary_id}",
            "premium_kind": LTC,
            "year": year,
            "idempotency_key": "n",
        },
    )

    assert refused.status_code == 400
    assert "请从列出的险种中选择一项。" in refused.content.decode()
    before.assert_unchanged()


def test_the_counter_shows_no_choice_of_premium_where_only_the_resident_one_is_set(client, clerk, world):
    serving(client, clerk, world.authorizer.person)

    page = client.get(reverse("staff:person")).content.decode()

    assert 'name="premium_kind"' not in page


def test_the_review_and_its_csv_name_the_kind_and_count_each_kind(client, clerk, auditor, ltc_world, year):
    serving(client, clerk, ltc_world.authorizer.person)
    payee = f"relative-{ltc_world.beneficiary_id}"
    for kind in (PremiumKind.RESIDENT_MEDICAL, LTC):
        confirm(
            client,
            choose(
                client,
                "staff:pay",
                {"payee": payee, "premium_kind": kind, "year": year, "idempotency_key": kind},
            ),
        )
    client.force_login(auditor)

    page = client.get(reverse("staff:review")).content.decode()
    ltc_only = client.get(reverse("staff:review"), {"kind": LTC}).content.decode()
    csv = b"".join(client.get(reverse("staff:review"), {"format": "csv"}).streaming_content).decode(
        "utf-8-sig"
    )

    assert "长期护理保险" in page
    assert "城乡居民基本医疗保险" in page
    assert 'id="stats-by-kind"' in page
    by_kind = re.search(r'id="stats-by-kind".*?</table>', page, re.S).group(0)
    assert "¥120.00" in by_kind
    assert "¥420.00" in by_kind
    assert text_of(ltc_only, "total-amount") == "¥120.00"
    header, *rows = [line.split(",") for line in csv.splitlines()]
    assert header[3] == "险种"
    assert sorted(row[3] for row in rows) == ["城乡居民基本医疗保险", "长期护理保险"]


def test_a_supervisor_refunds_the_long_term_care_payment_alone(client, clerk, supervisor, ltc_world, year):
    serving(client, clerk, ltc_world.authorizer.person)
    payee = f"relative-{ltc_world.beneficiary_id}"
    for kind in (PremiumKind.RESIDENT_MEDICAL, LTC):
        confirm(
            client,
            choose(
                client,
                "staff:pay",
                {"payee": payee, "premium_kind": kind, "year": year, "idempotency_key": kind},
            ),
        )
    ltc = Payment.objects.get(kind=LTC)
    serving(client, supervisor, ltc_world.authorizer.person)

    asked = client.post(reverse("staff:refund", args=[ltc.pk]), {"reason": "paid_twice"}).content.decode()
    client.post(reverse("staff:refund", args=[ltc.pk]), {"reason": "paid_twice", "confirmed": "True"})

    assert "长期护理保险" in asked  # the confirmation names the premium it refunds
    assert dict(Payment.objects.values_list("kind", "status")) == {
        PremiumKind.RESIDENT_MEDICAL: "settled",
        LTC: "refunded",
    }
    assert Account.objects.get(pk=ltc_world.authorizer.account_id).balance_fen == 100_000 - 42_000


def test_an_old_draft_without_a_kind_pays_the_resident_premium(client, clerk, ltc_world, year):
    """A choice left in a session before there were kinds still pays what it showed: the resident one."""
    serving(client, clerk, ltc_world.authorizer.person)
    session = client.session
    session["pay_drafts"] = {
        "old": {
            "kind": "counter",
            "person": ltc_world.authorizer.person_id,
            "payee": f"relative-{ltc_world.beneficiary_id}",
            "year": year,
        }
    }
    session.save()

    confirm(client, reverse("staff:pay-check", args=["old"]))

    assert Payment.objects.get().kind == PremiumKind.RESIDENT_MEDICAL


def test_the_person_page_names_the_kind_of_the_applicants_payments_in_english(client, clerk, ltc_world, year):
    client.cookies["django_language"] = "en"
    serving(client, clerk, ltc_world.authorizer.person)
    confirm(
        client,
        choose(
            client,
            "staff:pay",
            {
                "payee": f"relative-{ltc_world.beneficiary_id}",
                "premium_kind": LTC,
                "year": year,
                "idempotency_key": "e",
            },
        ),
    )

    page = client.get(reverse("staff:person")).content.decode()

    assert "Long-term-care insurance (¥120.00)" not in page  # paid: no longer offered
    assert re.search(r"<td[^>]*>Long-term-care insurance</td>", page)
