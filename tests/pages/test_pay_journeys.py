"""The pay pages in three steps (choose, check, confirm): the money is shown before it moves, nothing
moves before the confirmation, one key pays once; only open years are offered; each reader sees what
he can act on."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from insurees.models import PremiumRate
from ledger.models import Account
from mutual_aid.models import Binding
from payments.models import Payment
from tests.factories import (
    BindingFactory,
    EmployeeFactory,
    PersonFactory,
    PledgeFactory,
    PremiumRateFactory,
    ResidentFactory,
    account_balance_set,
    user_for,
)
from tests.pages.paying import choose, confirm, confirm_shown, pay

TODAY = timezone.localdate


@pytest.fixture
def year():
    return TODAY().year + 1


@pytest.fixture
def family(db, year):
    """An employee bound to his father and his mother, with ¥1,000.00; the premium is ¥420.00."""
    PledgeFactory()
    PremiumRateFactory(year=year)
    son = EmployeeFactory(balance_fen=100_000, person=PersonFactory(name="张建国"))
    father = BindingFactory(authorizer=son, beneficiary=ResidentFactory(person=PersonFactory(name="张德明")))
    mother = BindingFactory(authorizer=son, beneficiary=ResidentFactory(person=PersonFactory(name="李秀英")))
    return son, father, mother


def signed_in(client, person):
    client.force_login(user_for(person))
    return client


def balance(insuree) -> int:
    return Account.objects.get(pk=insuree.account_id).balance_fen


def text_of(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}">([^<]*)<', html)
    assert found, element_id
    return found.group(1)


def warnings_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def nav(html: str) -> str:
    return re.search(r'<nav class="main".*?</nav>', html, re.S).group(0)


def both(family, key="two-relatives"):
    _son, father, mother = family
    return {
        "year": TODAY().year + 1,
        "beneficiaries": [father.beneficiary_id, mother.beneficiary_id],
        "idempotency_key": key,
    }


# --- step 2: the check page, before anything moves -----------------------------------------------------


def test_the_check_page_shows_each_amount_the_total_and_the_balance_and_moves_nothing(client, family, year):
    son, father, mother = family
    signed_in(client, son.person)

    check_url = choose(client, "pay", both(family))
    page = client.get(check_url).content.decode()

    assert check_url == reverse("pay-check", kwargs={"key": "two-relatives"})
    for relative in (father, mother):
        assert relative.beneficiary.person.name in page  # in full: they are his own relatives
        assert relative.beneficiary.person.id_number not in page
    assert page.count("¥420.00") == 2
    assert "父母" in page  # his parents, read from his side
    assert "城乡居民基本医疗保险保费" in page
    assert str(year) in page
    assert text_of(page, "total") == "¥840.00"
    assert text_of(page, "balance-before") == "¥1,000.00"
    assert text_of(page, "balance-after") == "¥160.00"
    assert "确认并缴费" in page
    assert Payment.objects.count() == 0
    assert balance(son) == 100_000


def test_confirming_pays_every_relative_and_the_confirmation_lists_each_with_its_receipt(client, family):
    son, father, mother = family
    signed_in(client, son.person)

    done = pay(client, "pay", both(family))

    assert done["Location"] == reverse("pay-done", kwargs={"key": "two-relatives"})
    page = client.get(done["Location"]).content.decode()
    payments = list(Payment.objects.order_by("pk"))
    assert [p.beneficiary_id for p in payments] == [father.beneficiary_id, mother.beneficiary_id]
    for payment in payments:
        assert payment.beneficiary.person.name in page
        assert reverse("receipt", args=[payment.pk]) in page
        assert payment.reference in page
    assert "2 笔保费已缴纳" in page
    assert text_of(page, "total") == "¥840.00"
    assert text_of(page, "balance-left") == "¥160.00"
    assert balance(son) == 16_000


def test_confirming_twice_with_the_same_key_pays_once_and_shows_the_same_confirmation(client, family):
    son, _father, _mother = family
    signed_in(client, son.person)
    check_url = choose(client, "pay", both(family))
    choice = {"choice": client.get(check_url).context["confirm"].initial["choice"]}

    first = client.post(check_url, choice)
    second = client.post(check_url, choice)  # a double click, or the browser resending the form
    reloaded = client.get(check_url)

    assert first.status_code == second.status_code == reloaded.status_code == 302
    assert first["Location"] == second["Location"] == reloaded["Location"]
    assert Payment.objects.count() == 2
    assert balance(son) == 16_000
    again = client.get(first["Location"]).content.decode()
    assert all(p.reference in again for p in Payment.objects.all())


def test_step_one_resent_after_paying_starts_a_new_payment_not_the_old_confirmation(client, family):
    son, father, mother = family
    signed_in(client, son.person)
    pay(client, "pay", {**both(family, "back-button"), "beneficiaries": [father.beneficiary_id]})

    # The browser's Back button shows step 1 again, with the key it was rendered with.
    check_url = choose(
        client, "pay", {**both(family, "back-button"), "beneficiaries": [mother.beneficiary_id]}
    )
    done = confirm(client, check_url)

    assert check_url != reverse("pay-check", kwargs={"key": "back-button"})
    assert done["Location"] != reverse("pay-done", kwargs={"key": "back-button"})
    assert {p.beneficiary_id for p in Payment.objects.all()} == {father.beneficiary_id, mother.beneficiary_id}


def test_a_choice_changed_in_another_tab_is_shown_again_not_paid(client, family, year):
    son, father, _mother = family
    signed_in(client, son.person)
    check_url = choose(client, "pay", both(family))
    stale = client.get(check_url).context["confirm"].initial["choice"]
    # The same journey's step 1, changed in another tab to the father alone.
    choose(client, "pay", {**both(family), "beneficiaries": [father.beneficiary_id]})

    response = client.post(check_url, {"choice": stale})

    assert response["Location"] == check_url
    assert Payment.objects.count() == 0
    assert balance(son) == 100_000


def test_the_change_link_returns_to_step_one_with_the_choice_and_its_key(client, family):
    son, father, mother = family
    signed_in(client, son.person)
    check_url = choose(client, "pay", both(family))

    change = re.search(r'href="(/pay/\?change=[^"]+)"', client.get(check_url).content.decode()).group(1)
    form = client.get(change).context["form"]

    assert form.initial["idempotency_key"] == "two-relatives"
    assert form.initial["beneficiaries"] == [father.beneficiary_id, mother.beneficiary_id]


@pytest.mark.parametrize("tampered", [{"amounts_fen": [2**31, 2**31]}, {"amounts_fen": [-1, 42_000]}])
def test_a_tampered_confirmation_pays_nothing_and_is_no_error(client, family, year, tampered):
    import html
    import json

    from tests.pages.paying import CHOICE

    son, _father, _mother = family
    signed_in(client, son.person)
    check_url = choose(client, "pay", both(family))
    sent = json.loads(html.unescape(CHOICE.search(client.get(check_url).content.decode()).group(1)))

    response = client.post(check_url, {"choice": json.dumps({**sent, **tampered})})

    assert response.status_code in (200, 302, 400)
    assert Payment.objects.count() == 0
    assert balance(son) == 100_000


def test_a_rate_changed_between_check_and_confirm_pays_nothing_and_shows_the_new_amounts(
    client, family, year
):
    son, _father, _mother = family
    signed_in(client, son.person)
    check_url = choose(client, "pay", both(family))
    seen = client.get(check_url).content.decode()  # ¥840.00 for the two
    PremiumRate.objects.filter(year=year).update(amount_fen=45_000)  # a rate re-imported meanwhile

    refused = confirm_shown(client, check_url, seen)

    assert refused["Location"] == check_url
    assert Payment.objects.count() == 0
    assert balance(son) == 100_000
    again = client.get(check_url)
    [warning] = warnings_of(again)
    assert "¥840.00" in warning
    assert "¥900.00" in warning
    assert warning.index("¥840.00") < warning.index("¥900.00")  # from what was shown to what is due
    assert text_of(again.content.decode(), "total") == "¥900.00"

    done = confirm(client, check_url)  # what the page shows now

    assert [p.amount_fen for p in Payment.objects.all()] == [45_000, 45_000]
    page = client.get(done["Location"]).content.decode()
    assert text_of(page, "total") == "¥900.00"
    assert text_of(page, "balance-left") == "¥100.00"


def test_the_changed_amount_is_said_in_english_too(client, family, year):
    son, father, _mother = family
    signed_in(client, son.person)
    client.cookies["django_language"] = "en"
    check_url = choose(client, "pay", {**both(family), "beneficiaries": [father.beneficiary_id]})
    seen = client.get(check_url).content.decode()
    PremiumRate.objects.filter(year=year).update(amount_fen=45_000)

    confirm_shown(client, check_url, seen)

    again = client.get(check_url)
    assert warnings_of(again) == [
        "The amount to pay has changed since you checked it, from ¥420.00 to ¥450.00. Nothing was paid: "
        "check the new amount and confirm again."
    ]
    assert "nothing is paid and this page is shown again with the new amounts" in again.content.decode()
    assert Payment.objects.count() == 0


# --- step 1: refusals shown where the choice is made ---------------------------------------------------


def test_a_balance_that_cannot_cover_every_premium_is_refused_on_step_one(client, db, year):
    PledgeFactory()
    PremiumRateFactory(year=year)
    son = EmployeeFactory(balance_fen=50_000)
    first, second = BindingFactory(authorizer=son), BindingFactory(authorizer=son)
    signed_in(client, son.person)

    response = client.post(
        reverse("pay"),
        {
            "year": year,
            "beneficiaries": [first.beneficiary_id, second.beneficiary_id],
            "idempotency_key": "k1",
        },
    )

    assert response.status_code == 400
    assert "个人账户余额不足以全额支付保费840.00元" in response.content.decode()
    assert Payment.objects.count() == 0
    assert balance(son) == 50_000


def test_a_premium_paid_already_is_refused_by_name_next_to_the_relatives_on_step_one(client, family, year):
    """Sent from a page shown before the payment (another tab): the relative is no longer offered, and
    the refusal says whose premium it was."""
    son, father, _mother = family
    signed_in(client, son.person)
    pay(client, "pay", {**both(family, "first"), "beneficiaries": [father.beneficiary_id]})

    response = client.post(
        reverse("pay"), {**both(family, "second"), "beneficiaries": [father.beneficiary_id]}
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert f'<p class="error" id="id_beneficiaries-error">张德明{year}年度的居民医保费已缴纳。</p>' in page
    assert Payment.objects.count() == 1


# --- only the open year --------------------------------------------------------------------------------


def test_a_closed_year_is_not_offered_and_a_post_of_it_is_refused_by_name(client, family, year):
    son, father, _mother = family
    closed = TODAY().year
    PremiumRateFactory(
        year=closed,
        collection_start=TODAY() - datetime.timedelta(days=300),
        collection_end=TODAY() - datetime.timedelta(days=1),
    )
    signed_in(client, son.person)

    form = client.get(reverse("pay")).content.decode()
    refused = client.post(reverse("pay"), {**both(family), "year": closed})

    assert f'<option value="{year}"' in form
    assert f'<option value="{closed}"' not in form
    assert refused.status_code == 400
    assert f"{closed}年度保费的集中征缴期未开放，现在不能缴纳" in refused.content.decode()
    assert Payment.objects.count() == 0


def test_with_no_period_open_the_page_says_when_the_next_opens_and_shows_no_form(client, db, year):
    PledgeFactory()
    start = TODAY() + datetime.timedelta(days=30)
    PremiumRateFactory(year=year, collection_start=start, collection_end=start + datetime.timedelta(days=90))
    binding = BindingFactory()
    signed_in(client, binding.authorizer.person)

    page = client.get(reverse("pay")).content.decode()
    refused = client.post(reverse("pay"), {"year": year, "beneficiaries": [binding.beneficiary_id]})

    assert "现在没有开放的集中征缴期" in page
    assert f"{year}年度保费的缴费时间为 {start.isoformat()} 至" in page
    assert 'name="year"' not in page
    assert refused.status_code == 400
    assert Payment.objects.count() == 0


def test_home_shows_the_open_year_with_its_deadline_and_past_years_as_neutral_history(client, family, year):
    son, _father, _mother = family
    PremiumRateFactory(
        year=year - 1,
        collection_start=TODAY() - datetime.timedelta(days=400),
        collection_end=TODAY() - datetime.timedelta(days=100),
    )
    end = TODAY() + datetime.timedelta(days=60)  # the factory's period around today

    page = signed_in(client, son.person).get(reverse("home")).content.decode()

    # the date on one line (a line may break after a hyphen): common.templatetags.portal.nowrap
    assert f'{year}年度 缴费截止 <span class="nowrap">{end.isoformat()}</span>' in page
    assert page.count('class="status warn">未缴费') == 2  # the open year, once per relative
    assert page.count(f"{year - 1}年度：未缴费") == 2
    history = re.findall(rf'<p class="muted">[^<]*{year - 1}年度：未缴费', page)
    assert len(history) == 2  # neutral, not a warning
    assert f"{year - 1}年度保费" not in page


# --- the relative's side -------------------------------------------------------------------------------


@pytest.fixture
def mother_of_two(db, year):
    """A resident bound by her two children, ¥600.00 and ¥900.00 in their accounts."""
    PledgeFactory()
    PremiumRateFactory(year=year)
    mother = ResidentFactory(person=PersonFactory(name="王桂兰"))
    poorer = BindingFactory(
        authorizer=EmployeeFactory(balance_fen=60_000, person=PersonFactory(name="张伟")), beneficiary=mother
    )
    richer = BindingFactory(
        authorizer=EmployeeFactory(balance_fen=90_000, person=PersonFactory(name="张伟")), beneficiary=mother
    )
    return mother, poorer, richer


def test_a_self_payment_check_names_the_payer_the_rule_picks_but_not_his_balance(client, mother_of_two, year):
    mother, poorer, richer = mother_of_two
    signed_in(client, mother.person)

    check_url = choose(client, "pay-self", {"year": year, "idempotency_key": "self-1"})
    page = client.get(check_url).content.decode()

    assert text_of(page, "total") == "¥420.00"
    assert "张伟（子女）" in page  # her child, from her side
    assert richer.authorizer.person.id_number[-4:] in page  # which of her two sons named 张伟
    assert poorer.authorizer.person.id_number[-4:] not in page
    assert "900.00" not in page
    assert "480.00" not in page
    assert Payment.objects.count() == 0


def test_a_self_payment_whose_account_changed_since_the_check_pays_nothing_and_names_both(
    client, mother_of_two, year
):
    mother, poorer, richer = mother_of_two
    signed_in(client, mother.person)
    check_url = choose(client, "pay-self", {"year": year, "idempotency_key": "self-2"})
    seen = client.get(check_url).content.decode()  # the richer son pays
    account_balance_set(poorer.authorizer.account_id, 95_000)  # the poorer is now the richer

    refused = confirm_shown(client, check_url, seen)

    assert refused["Location"] == check_url
    assert Payment.objects.count() == 0
    assert (balance(poorer.authorizer), balance(richer.authorizer)) == (95_000, 90_000)
    again = client.get(check_url)
    [warning] = warnings_of(again)
    shown, now = richer.authorizer.person.id_number[-4:], poorer.authorizer.person.id_number[-4:]
    assert "张伟（子女）" in warning
    assert warning.index(shown) < warning.index(now)  # from the account shown to the one that would pay
    assert "950.00" not in warning  # never another person's balance
    assert now in again.content.decode()

    done = confirm(client, check_url)  # what the page shows now

    payment = Payment.objects.get()
    assert payment.authorizer_id == poorer.authorizer_id
    page = client.get(done["Location"]).content.decode()
    assert poorer.authorizer.person.name in page
    assert 'id="balance-left"' not in page  # another person's balance
    assert balance(richer.authorizer) == 90_000


def test_a_self_payment_whose_rate_changed_since_the_check_pays_nothing(client, mother_of_two, year):
    mother, poorer, richer = mother_of_two
    signed_in(client, mother.person)
    check_url = choose(client, "pay-self", {"year": year, "idempotency_key": "self-3"})
    seen = client.get(check_url).content.decode()
    PremiumRate.objects.filter(year=year).update(amount_fen=45_000)

    refused = confirm_shown(client, check_url, seen)

    assert refused["Location"] == check_url
    assert Payment.objects.count() == 0
    assert (balance(poorer.authorizer), balance(richer.authorizer)) == (60_000, 90_000)
    again = client.get(check_url)
    [warning] = warnings_of(again)
    assert warning.index("¥420.00") < warning.index("¥450.00")
    assert text_of(again.content.decode(), "total") == "¥450.00"


def test_a_resident_without_an_open_year_or_binding_sees_no_form(client, db, year):
    PledgeFactory()
    PremiumRateFactory(year=year)
    resident = ResidentFactory()
    signed_in(client, resident.person)

    page = client.get(reverse("pay-self")).content.decode()
    refused = client.post(reverse("pay-self"), {"year": year, "idempotency_key": "alone"})

    assert "还没有绑定任何家庭成员的个人账户" in page
    assert 'name="year"' not in page
    assert refused.status_code == 400
    assert Payment.objects.count() == 0


def test_the_relatives_home_names_his_payers_in_full_from_his_side(client, mother_of_two):
    mother, poorer, richer = mother_of_two

    page = signed_in(client, mother.person).get(reverse("home")).content.decode()

    assert page.count("张伟（子女）") == 2
    for binding in (poorer, richer):
        assert binding.authorizer.person.id_number[-4:] in page
        assert binding.authorizer.person.id_number not in page
    assert "父母" not in page
    assert "张*" not in page


# --- confirmation pages are their user's own -----------------------------------------------------------


def test_no_one_opens_anothers_check_or_confirmation_page(client, family):
    son, _father, _mother = family
    signed_in(client, son.person)
    check_url = choose(client, "pay", both(family))
    done = confirm(client, check_url)
    client.logout()
    stranger = BindingFactory()
    signed_in(client, stranger.authorizer.person)

    assert client.get(done["Location"]).status_code == 404
    assert client.get(check_url).status_code == 404
    assert client.post(check_url, {"choice": "{}"}).status_code == 404
    assert client.get(reverse("pay-done", kwargs={"key": "never-used"})).status_code == 404
    assert Payment.objects.count() == 2


# --- each reader's navigation and first page -----------------------------------------------------------


def test_a_residents_navigation_offers_his_own_premium_not_binding_or_paying_for_others(
    client, mother_of_two
):
    mother, poorer, _richer = mother_of_two

    resident_nav = nav(signed_in(client, mother.person).get(reverse("home")).content.decode())
    employee_nav = nav(signed_in(client, poorer.authorizer.person).get(reverse("home")).content.decode())

    assert reverse("pay-self") in resident_nav
    assert reverse("records") in resident_nav
    assert reverse("binding-create") not in resident_nav
    assert f'href="{reverse("pay")}"' not in resident_nav
    assert reverse("binding-create") in employee_nav
    assert f'href="{reverse("pay")}"' in employee_nav
    assert reverse("pay-self") not in employee_nav


def test_a_new_resident_sees_what_to_ask_his_relative_and_no_bind_button(client, db):
    resident = ResidentFactory(person=PersonFactory(name="刘秀珍"))

    page = signed_in(client, resident.person).get(reverse("home")).content.decode()

    assert "请这位亲属为您绑定" in page
    assert "您的姓名：刘秀珍" in page
    assert "身份证号码" in page
    assert reverse("binding-create") not in page
    assert reverse("pay-self") not in nav(page)


def test_the_bind_form_tells_a_resident_before_any_pledge_that_only_employees_bind(client, db):
    PledgeFactory()
    resident = ResidentFactory()
    stranger = ResidentFactory()
    signed_in(client, resident.person)

    page = client.get(reverse("binding-create")).content.decode()
    posted = client.post(
        reverse("binding-create"),
        {
            "beneficiary_id_number": stranger.person.id_number,
            "beneficiary_name": stranger.person.name,
            "relation": "parent",
            "pledge_version": 1,
            "pledge_accepted": "on",
        },
    )

    assert "只有参加职工医保的人员" in page
    assert "为您绑定" in page
    assert 'class="pledge"' not in page
    assert 'name="pledge_accepted"' not in page
    assert posted.status_code == 400
    assert Binding.objects.count() == 0
