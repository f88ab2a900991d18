"""The counter pays in three steps as online: the applicant on screen chooses from his own people (no
ID number typed again), the check page shows amount, payer and balance before and after, the
confirmation lists every payment with its receipt to print."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from insurees.models import PremiumRate
from ledger.models import Account
from mutual_aid.models import Binding
from payments.models import Payment
from staff.models import AuditRecord
from tests.factories import (
    BindingFactory,
    EmployeeFactory,
    PersonFactory,
    PremiumRateFactory,
    ResidentFactory,
    account_balance_set,
)
from tests.pages.paying import choose, confirm, confirm_shown
from tests.staff.conftest import staff_user


def text_of(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}">([^<]*)<', html)
    assert found, element_id
    return found.group(1)


def balance(insuree) -> int:
    return Account.objects.get(pk=insuree.account_id).balance_fen


def serving(client, clerk, person):
    client.force_login(clerk)
    client.post(reverse("staff:home"), {"counter_id": "DL-05"})
    looked_up = client.post(reverse("staff:home"), {"id_number": person.id_number})
    assert looked_up["Location"] == reverse("staff:person")
    return client


@pytest.fixture
def walk_in(world):
    """A resident mother bound by two sons; the richer (¥900.00) pays by the self-payment rule."""
    mother = ResidentFactory(person=PersonFactory(name="王桂兰"))
    BindingFactory(authorizer=EmployeeFactory(balance_fen=60_000), beneficiary=mother)
    richer = BindingFactory(
        authorizer=EmployeeFactory(balance_fen=90_000, person=PersonFactory(name="张国强")),
        beneficiary=mother,
    )
    return mother, richer


def test_a_walk_in_resident_chooses_himself_and_pays_by_the_rule(client, clerk, walk_in, year):
    mother, richer = walk_in
    serving(client, clerk, mother.person)

    person_page = client.get(reverse("staff:person")).content.decode()
    check_url = choose(client, "staff:pay", {"payee": "self", "year": year, "idempotency_key": "walk-in"})
    check = client.get(check_url).content.decode()

    assert 'name="beneficiary_id_number"' not in person_page  # nothing to retype
    assert 'value="self"' in person_page
    assert "王桂兰（申请人本人）：由余额最高的已绑定账户支付" in person_page
    assert text_of(check, "total") == "¥420.00"
    assert "张国强（子女）" in check  # her son, from her side
    assert text_of(check, "balance-before") == "¥900.00"  # staff may see the payer's balance
    assert text_of(check, "balance-after") == "¥480.00"
    assert Payment.objects.count() == 0
    assert balance(richer.authorizer) == 90_000

    done = confirm(client, check_url)

    payment = Payment.objects.get()
    assert (payment.channel, payment.authorizer_id, payment.counter_id) == (
        "counter",
        richer.authorizer_id,
        "DL-05",
    )
    page = client.get(done["Location"]).content.decode()
    assert done["Location"] == reverse("staff:pay-done", kwargs={"key": "walk-in"})
    assert reverse("staff:receipt", args=[payment.pk]) in page
    assert "打印凭证" in page
    assert text_of(page, "balance-left") == "¥480.00"
    assert AuditRecord.objects.filter(action="payment_create", object_ref=f"payment:{payment.pk}").exists()


def test_an_employee_pays_for_a_relative_from_his_own_account(client, clerk, world, year):
    second = BindingFactory(authorizer=world.authorizer, relation="child")
    serving(client, clerk, world.authorizer.person)

    person_page = client.get(reverse("staff:person")).content.decode()
    check_url = choose(
        client,
        "staff:pay",
        {"payee": f"relative-{second.beneficiary_id}", "year": year, "idempotency_key": "emp"},
    )
    check = client.get(check_url).content.decode()
    done = confirm(client, check_url)

    for binding in (world, second):
        assert f'value="relative-{binding.beneficiary_id}"' in person_page
        assert binding.beneficiary.person.name in person_page
    assert "（子女）" in person_page
    assert "（父母）" in person_page
    assert "申请人本人的个人账户" in check
    assert text_of(check, "balance-before") == "¥1,000.00"
    assert text_of(check, "balance-after") == "¥580.00"
    payment = Payment.objects.get()
    assert (payment.beneficiary_id, payment.authorizer_id) == (second.beneficiary_id, world.authorizer_id)
    assert reverse("staff:receipt", args=[payment.pk]) in client.get(done["Location"]).content.decode()


def warnings_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_a_rate_changed_since_the_counters_check_pays_nothing_and_shows_the_new_amount(
    client, clerk, world, year
):
    serving(client, clerk, world.authorizer.person)
    check_url = choose(
        client,
        "staff:pay",
        {"payee": f"relative-{world.beneficiary_id}", "year": year, "idempotency_key": "re-rated"},
    )
    seen = client.get(check_url).content.decode()  # ¥420.00, read out to the applicant
    PremiumRate.objects.filter(year=year).update(amount_fen=45_000)

    refused = confirm_shown(client, check_url, seen)

    assert refused["Location"] == check_url
    assert Payment.objects.count() == 0
    assert not AuditRecord.objects.filter(action="payment_create").exists()
    assert balance(world.authorizer) == 100_000
    again = client.get(check_url)
    [warning] = warnings_of(again)
    assert warning.index("¥420.00") < warning.index("¥450.00")
    assert text_of(again.content.decode(), "total") == "¥450.00"

    confirm(client, check_url)

    assert Payment.objects.get().amount_fen == 45_000
    assert AuditRecord.objects.filter(action="payment_create").count() == 1


def test_a_walk_in_whose_paying_account_changed_since_the_check_pays_nothing(client, clerk, walk_in, year):
    mother, richer = walk_in
    poorer = Binding.objects.exclude(pk=richer.pk).get(beneficiary=mother)
    serving(client, clerk, mother.person)
    check_url = choose(client, "staff:pay", {"payee": "self", "year": year, "idempotency_key": "re-ruled"})
    seen = client.get(check_url).content.decode()  # 张国强's account, ¥900.00
    account_balance_set(poorer.authorizer.account_id, 95_000)  # the other son's is now the richest

    refused = confirm_shown(client, check_url, seen)

    assert refused["Location"] == check_url
    assert Payment.objects.count() == 0
    assert not AuditRecord.objects.filter(action="payment_create").exists()
    assert (balance(poorer.authorizer), balance(richer.authorizer)) == (95_000, 90_000)
    again = client.get(check_url)
    [warning] = warnings_of(again)
    assert warning.index("张国强") < warning.index(poorer.authorizer.person.id_number[-4:])
    assert text_of(again.content.decode(), "balance-before") == "¥950.00"

    confirm(client, check_url)

    assert Payment.objects.get().authorizer_id == poorer.authorizer_id


def test_confirming_twice_at_the_counter_pays_once(client, clerk, world, year):
    serving(client, clerk, world.authorizer.person)
    check_url = choose(
        client,
        "staff:pay",
        {"payee": f"relative-{world.beneficiary_id}", "year": year, "idempotency_key": "twice"},
    )
    choice = {"choice": client.get(check_url).context["confirm"].initial["choice"]}

    first = client.post(check_url, choice)
    second = client.post(check_url, choice)

    assert first["Location"] == second["Location"] == reverse("staff:pay-done", kwargs={"key": "twice"})
    assert Payment.objects.count() == 1
    assert balance(world.authorizer) == 58_000
    assert AuditRecord.objects.filter(action="payment_create").count() == 1


def test_a_refusal_shows_on_the_person_page_before_any_check(client, clerk, world, year):
    account_balance_set(world.authorizer.account_id, 10_000)
    serving(client, clerk, world.authorizer.person)

    response = client.post(
        reverse("staff:pay"),
        {"payee": f"relative-{world.beneficiary_id}", "year": year, "idempotency_key": "poor"},
    )

    assert response.status_code == 400
    assert "个人账户余额不足以全额支付保费420.00元" in response.content.decode()
    assert Payment.objects.count() == 0
    assert balance(world.authorizer) == 10_000


def test_a_closed_year_or_someone_not_on_the_list_is_refused(client, clerk, world, year):
    closed = timezone.localdate().year
    PremiumRateFactory(
        year=closed,
        collection_start=timezone.localdate() - datetime.timedelta(days=300),
        collection_end=timezone.localdate() - datetime.timedelta(days=1),
    )
    stranger = ResidentFactory()
    serving(client, clerk, world.authorizer.person)

    page = client.get(reverse("staff:person")).content.decode()
    closed_year = client.post(
        reverse("staff:pay"),
        {"payee": f"relative-{world.beneficiary_id}", "year": closed, "idempotency_key": "c"},
    )
    not_his = client.post(
        reverse("staff:pay"), {"payee": f"relative-{stranger.pk}", "year": year, "idempotency_key": "s"}
    )

    assert f'<option value="{closed}"' not in page
    assert closed_year.status_code == not_his.status_code == 400
    assert f"{closed}年度保费的集中征缴期未开放" in closed_year.content.decode()
    assert 'id="id_payee-error"' in not_his.content.decode()
    assert Payment.objects.count() == 0


def test_an_applicant_with_no_one_to_pay_for_gets_no_form(client, clerk, world):
    serving(client, clerk, ResidentFactory().person)  # a resident no account is bound to

    page = client.get(reverse("staff:person")).content.decode()

    assert f'action="{reverse("staff:pay")}"' not in page
    assert "申请人在此没有可缴的保费" in page


def test_another_clerk_cannot_open_the_confirmation(client, clerk, world, year):
    serving(client, clerk, world.authorizer.person)
    check_url = choose(
        client,
        "staff:pay",
        {"payee": f"relative-{world.beneficiary_id}", "year": year, "idempotency_key": "mine"},
    )
    done = confirm(client, check_url)
    other = staff_user("counter_staff", "other-clerk")
    serving(client, other, world.authorizer.person)

    assert client.get(done["Location"]).status_code == 404
    assert client.get(check_url).status_code == 404
    assert Payment.objects.count() == 1


def test_the_check_page_does_not_pay_for_an_applicant_no_longer_on_screen(
    client, clerk, world, walk_in, year
):
    mother, _richer = walk_in
    serving(client, clerk, world.authorizer.person)
    check_url = choose(
        client,
        "staff:pay",
        {"payee": f"relative-{world.beneficiary_id}", "year": year, "idempotency_key": "gone"},
    )
    choice = {"choice": client.get(check_url).context["confirm"].initial["choice"]}
    client.post(reverse("staff:home"), {"id_number": mother.person.id_number})  # the next applicant

    response = client.post(check_url, choice)

    assert response["Location"] == reverse("staff:person")
    assert Payment.objects.count() == 0
