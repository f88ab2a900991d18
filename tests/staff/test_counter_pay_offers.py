"""The counter offers only premiums that can still be paid, refuses in words addressed to the clerk
(the applicant's accounts, not "yours"), and labels the balance it shows as the available one."""

import re

from django.test import Client
from django.urls import reverse

from ledger.models import Account
from medical.services import Actor as AllowanceActor
from medical.services import allowance_set
from payments.models import Payment
from tests.factories import (
    BindingFactory,
    EmployeeFactory,
    PersonFactory,
    ResidentFactory,
    account_balance_set,
    user_for,
)
from tests.pages.paying import choose, confirm, pay
from tests.staff.test_counter_paying import serving


def client_for(person) -> Client:
    """The person himself, online, in a browser of his own."""
    other = Client()
    other.force_login(user_for(person))
    return other


def payees(html: str) -> list[str]:
    return re.findall(r'name="payee" value="([^"]+)"', html)


def test_a_relative_paid_online_is_no_longer_offered_at_the_counter(client, clerk, world, year):
    second = BindingFactory(authorizer=world.authorizer, relation="child")
    pay(
        client_for(world.authorizer.person),
        "pay",
        {"year": year, "beneficiaries": [world.beneficiary_id], "idempotency_key": "online"},
    )
    serving(client, clerk, world.authorizer.person)

    page = client.get(reverse("staff:person")).content.decode()

    assert payees(page) == [f"relative-{second.beneficiary_id}"]


def test_an_applicant_whose_own_premium_is_paid_is_not_offered_it(client, clerk, world, year):
    relative = world.beneficiary
    pay(client_for(relative.person), "pay-self", {"year": year, "idempotency_key": "own"})
    serving(client, clerk, relative.person)

    page = client.get(reverse("staff:person")).content.decode()

    assert "self" not in payees(page)


def test_a_choice_paid_since_it_was_shown_is_refused_by_the_relatives_name(client, clerk, world, year):
    serving(client, clerk, world.authorizer.person)
    check_url = choose(
        client,
        "staff:pay",
        {"payee": f"relative-{world.beneficiary_id}", "year": year, "idempotency_key": "late"},
    )
    pay(
        client_for(world.authorizer.person),
        "pay",
        {"year": year, "beneficiaries": [world.beneficiary_id], "idempotency_key": "online"},
    )

    refused = client.get(check_url)

    name = world.beneficiary.person.name
    assert refused.status_code == 400
    assert f"{name}{year}年度的居民医保费已缴纳。" in refused.content.decode()
    assert Payment.objects.count() == 1


def poorly_bound():
    """刘桂兰, bound only to 刘洋, whose ¥150.00 cannot pay her ¥420.00 premium."""
    mother = ResidentFactory(person=PersonFactory(name="刘桂兰"))
    binding = BindingFactory(
        authorizer=EmployeeFactory(balance_fen=15_000, person=PersonFactory(name="刘洋")), beneficiary=mother
    )
    return mother, binding


def test_the_counter_refuses_a_self_payment_no_account_can_cover_in_words_for_the_clerk(
    client, clerk, world, year
):
    mother, _binding = poorly_bound()
    serving(client, clerk, mother.person)

    refused = client.post(reverse("staff:pay"), {"payee": "self", "year": year, "idempotency_key": "poor"})

    page = refused.content.decode()
    assert refused.status_code == 400
    assert "与申请人绑定的个人账户余额都不足以全额支付保费420.00元，本次未扣款。" in page
    assert "与您绑定" not in page
    assert Payment.objects.count() == 0


def test_the_same_refusal_at_confirmation_is_worded_for_the_clerk_too(client, clerk, world, year):
    mother, binding = poorly_bound()
    account_balance_set(binding.authorizer.account_id, 50_000)
    serving(client, clerk, mother.person)
    check_url = choose(client, "staff:pay", {"payee": "self", "year": year, "idempotency_key": "drop"})
    choice = client.get(check_url).context["confirm"].initial["choice"]
    account_balance_set(binding.authorizer.account_id, 15_000)  # spent meanwhile

    refused = client.post(check_url, {"choice": choice})

    page = refused.content.decode()
    assert "与申请人绑定的个人账户余额都不足以全额支付保费420.00元，本次未扣款。" in page
    assert "与您绑定" not in page
    assert Payment.objects.count() == 0
    assert Account.objects.get(pk=binding.authorizer.account_id).balance_fen == 15_000


def test_the_english_refusal_names_the_applicants_accounts(client, clerk, world, year):
    mother, _binding = poorly_bound()
    client.cookies["django_language"] = "en"
    serving(client, clerk, mother.person)

    page = client.post(
        reverse("staff:pay"), {"payee": "self", "year": year, "idempotency_key": "en"}
    ).content.decode()

    assert "None of the personal accounts bound to the applicant can cover" in page
    assert "bound to you" not in page


def test_the_counter_check_and_done_pages_label_the_available_balance(client, clerk, world, year):
    person = world.authorizer.person
    allowance_set(
        authorizer=person, binding_id=world.pk, amount_fen=20_000, actor=AllowanceActor(user=user_for(person))
    )
    serving(client, clerk, person)
    check_url = choose(
        client,
        "staff:pay",
        {"payee": f"relative-{world.beneficiary_id}", "year": year, "idempotency_key": "lbl"},
    )

    check = client.get(check_url).content.decode()
    done = client.get(confirm(client, check_url)["Location"]).content.decode()

    assert '缴费前可用余额</dt><dd class="money" id="balance-before">¥800.00<' in check
    assert '缴费后可用余额</dt><dd class="money" id="balance-after">¥380.00<' in check
    assert "该账户另有¥200.00为共济额度预留，不能用于缴费；个人账户余额共¥1,000.00。" in check
    assert "经办窗口：DL-05" in check
    assert '扣款账户剩余可用余额</dt><dd class="money" id="balance-left">¥380.00<' in done
    assert "个人账户余额共¥580.00。" in done
    assert "<dt>合计</dt>" in done
