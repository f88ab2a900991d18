"""The pay pages offer only what can still be paid: a relative whose open premiums are paid is shown as
paid, not as a choice; with nothing left, the page says so; the navigation and the home page offer
paying only while something is payable. The balance shown is the available one, with what allowances
hold beside it; names and relations in the language's brackets."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from medical.services import Actor as AllowanceActor
from medical.services import allowance_set
from mutual_aid.services import binding_end
from payments.models import Payment
from payments.services import payment_refund
from tests.factories import (
    BindingFactory,
    EmployeeFactory,
    PersonFactory,
    PledgeFactory,
    PremiumRateFactory,
    ResidentFactory,
    UserFactory,
    user_for,
)
from tests.pages.paying import choose, pay


@pytest.fixture
def year():
    return timezone.localdate().year + 1


@pytest.fixture
def family(db, year):
    """张伟 with ¥1,000.00, bound to his father 张建国 and his mother 李秀英; the premium is ¥420.00."""
    PledgeFactory()
    PremiumRateFactory(year=year)
    son = EmployeeFactory(balance_fen=100_000, person=PersonFactory(name="张伟"))
    father = BindingFactory(authorizer=son, beneficiary=ResidentFactory(person=PersonFactory(name="张建国")))
    mother = BindingFactory(authorizer=son, beneficiary=ResidentFactory(person=PersonFactory(name="李秀英")))
    return son, father, mother


def signed_in(client, person, language=None):
    client.force_login(user_for(person))
    if language:
        client.cookies["django_language"] = language
    return client


def page_of(client, name: str) -> str:
    return client.get(reverse(name)).content.decode()


def nav(html: str) -> str:
    return re.search(r'<nav class="main".*?</nav>', html, re.S).group(0)


def offered(html: str) -> list[str]:
    """The values of the relatives' checkboxes."""
    return re.findall(r'name="beneficiaries" value="(\d+)"', html)


def paying_for(binding, year, key):
    return {"year": year, "beneficiaries": [binding.beneficiary_id], "idempotency_key": key}


def test_a_paid_relative_is_shown_as_paid_not_offered(client, family, year):
    son, father, mother = family
    signed_in(client, son.person)
    pay(client, "pay", paying_for(father, year, "father"))

    page = page_of(client, "pay")

    assert offered(page) == [str(mother.beneficiary_id)]
    assert re.search(rf'张建国（父母）[^<]*<span class="status ok">{year}年度已缴纳</span>', page)
    assert 'id="nothing-to-pay"' not in page


def test_with_every_relative_paid_the_page_says_so_instead_of_an_empty_form(client, family, year):
    son, father, mother = family
    signed_in(client, son.person)
    pay(
        client,
        "pay",
        {**paying_for(father, year, "both"), "beneficiaries": [father.beneficiary_id, mother.beneficiary_id]},
    )

    page = page_of(client, "pay")

    assert "您绑定的亲属目前没有需要缴纳的保费。" in page
    assert offered(page) == []
    assert '<form method="post" action="/pay/"' not in page
    assert ">继续</button>" not in page
    assert page.count(f'<span class="status ok">{year}年度已缴纳</span>') == 2


def test_a_refunded_premium_is_offered_again(client, family, year):
    son, father, _mother = family
    signed_in(client, son.person)
    pay(client, "pay", paying_for(father, year, "father"))
    payment_refund(payment=Payment.objects.get(), reason="paid_twice", note="", operator=UserFactory())

    page = page_of(client, "pay")

    assert str(father.beneficiary_id) in offered(page)
    assert f"{year}年度已缴纳" not in page


def test_a_choice_paid_since_the_check_page_was_shown_is_refused_by_the_relatives_name(client, family, year):
    son, father, mother = family
    signed_in(client, son.person)
    check_url = choose(client, "pay", paying_for(father, year, "stale"))
    pay(client, "pay", paying_for(father, year, "other-tab"))

    page = client.get(check_url).content.decode()

    assert f"张建国{year}年度的居民医保费已缴纳。" in page
    assert offered(page) == [str(mother.beneficiary_id)]  # what is left, to choose again
    assert Payment.objects.count() == 1


def test_a_relative_who_paid_his_own_premium_loses_the_self_pay_offer(client, family, year):
    _son, father, _mother = family
    signed_in(client, father.beneficiary.person)
    before = page_of(client, "home")
    pay(client, "pay-self", {"year": year, "idempotency_key": "own"})

    after = page_of(client, "home")
    own = page_of(client, "pay-self")

    assert "缴纳我的保费" in nav(before)
    assert "缴纳我的保费" not in nav(after)
    assert "您目前可缴的保费均已缴纳，无需再缴。" in own
    assert f'<span class="status ok">{year}年度已缴纳</span>' in own
    assert 'name="year"' not in own


def test_the_home_page_offers_paying_for_relatives_only_while_one_is_unpaid(client, family, year):
    son, father, mother = family
    signed_in(client, son.person)
    before = page_of(client, "home")
    pay(
        client,
        "pay",
        {**paying_for(father, year, "all"), "beneficiaries": [father.beneficiary_id, mother.beneficiary_id]},
    )

    after = client.get(reverse("home"))

    assert '<a class="btn" href="/pay/">缴纳保费</a>' in before
    assert 'href="/pay/">缴纳保费</a>' not in after.content.decode().split("</nav>", 1)[1]
    assert not after.context["nav_pay_relatives"]  # what the navigation's item is shown by


def test_an_authorizer_whose_only_binding_ended_is_not_offered_paying(client, db, year):
    PledgeFactory()
    PremiumRateFactory(year=year)
    binding = BindingFactory(authorizer=EmployeeFactory(person=PersonFactory(name="张敏")))
    binding_end(binding=binding, ended_by=binding.authorizer.person)
    signed_in(client, binding.authorizer.person)

    home = client.get(reverse("home"))

    assert 'href="/pay/">缴纳保费</a>' not in home.content.decode().split("</nav>", 1)[1]
    assert not home.context["nav_pay_relatives"]


def test_the_check_page_labels_the_available_balance_and_says_what_allowances_hold(client, family, year):
    son, father, _mother = family
    allowance_set(
        authorizer=son.person,
        binding_id=father.pk,
        amount_fen=50_000,
        actor=AllowanceActor(user=user_for(son.person)),
    )
    signed_in(client, son.person)

    check = client.get(choose(client, "pay", paying_for(father, year, "held"))).content.decode()

    assert '缴费前可用余额</dt><dd class="money" id="balance-before">¥500.00<' in check
    assert '缴费后可用余额</dt><dd class="money" id="balance-after">¥80.00<' in check
    assert "该账户另有¥500.00为共济额度预留，不能用于缴费；个人账户余额共¥1,000.00。" in check


def test_without_an_allowance_nothing_is_said_of_holds(client, family, year):
    son, father, _mother = family
    signed_in(client, son.person)

    check = client.get(choose(client, "pay", paying_for(father, year, "plain"))).content.decode()

    assert "缴费前可用余额" in check
    assert 'id="held-for-allowances"' not in check


def test_the_done_page_in_chinese_uses_chinese_punctuation(client, family, year):
    son, father, _mother = family
    signed_in(client, son.person)

    done = client.get(pay(client, "pay", paying_for(father, year, "done"))["Location"]).content.decode()

    assert "<dt>合计</dt>" in done
    assert '个人账户剩余可用余额</dt><dd class="money" id="balance-left">¥580.00<' in done
    assert "张建国（父母）" in done
    assert "合计:" not in done
    assert " (父母)" not in done


def test_names_and_relations_take_the_languages_brackets(client, family, year):
    son, father, _mother = family

    chinese = page_of(signed_in(client, son.person), "pay")
    english = page_of(signed_in(client, son.person, "en"), "pay")

    number = father.beneficiary.person.id_number
    assert re.search(rf"张建国（父母）{number[:3]}", chinese)
    assert re.search(rf"张建国 \(Parent\) {number[:3]}", english)
    assert "（" not in english.split("<main", 1)[1]


def test_the_english_check_page_names_the_payer_with_ascii_brackets(client, family, year):
    _son, father, _mother = family
    signed_in(client, father.beneficiary.person, "en")

    check = client.get(choose(client, "pay-self", {"year": year, "idempotency_key": "en"})).content.decode()

    assert "张伟 (Child)" in check
    assert "（" not in check.split("<main", 1)[1]


def test_a_self_payment_check_shown_after_another_paid_says_so_by_name(client, family, year):
    son, father, _mother = family
    signed_in(client, father.beneficiary.person)
    check_url = choose(client, "pay-self", {"year": year, "idempotency_key": "mine"})
    pay(signed_in(client.__class__(), son.person), "pay", paying_for(father, year, "son"))

    refused = client.get(check_url)

    page = refused.content.decode()
    assert refused.status_code == 400
    assert f"<li>张建国{year}年度的居民医保费已缴纳。</li>" in page
    assert "您目前可缴的保费均已缴纳，无需再缴。" in page
    assert Payment.objects.count() == 1
