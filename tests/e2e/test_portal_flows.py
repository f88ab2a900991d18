"""The authorizers' and relatives' journeys, in Chromium at phone width."""

import io

import pytest
from pypdf import PdfReader

from ledger.models import Account
from mutual_aid.models import Relation
from payments.models import Payment
from tests.e2e.conftest import screenshot, sign_in
from tests.factories import (
    BindingFactory,
    EmployeeFactory,
    PersonFactory,
    PledgeFactory,
    PremiumRateFactory,
    ResidentFactory,
    user_for,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def year():
    from django.utils import timezone

    return timezone.localdate().year + 1


@pytest.fixture
def world(year):
    PledgeFactory()
    PremiumRateFactory(year=year)


def test_a_new_user_registers_binds_a_parent_and_pays_and_the_parent_sees_it(new_page, world, year):
    son = EmployeeFactory(balance_fen=100_000, person=PersonFactory(name="赵海"))
    father = ResidentFactory(person=PersonFactory(name="赵国庆"))
    page = new_page()

    page.goto("/register/")
    page.fill("#id_id_number", son.person.id_number)
    page.fill("#id_name", "赵海")
    page.fill("#id_phone", "13904111234")
    page.fill("#id_password", "Gongji-test-2026")
    page.fill("#id_password_again", "Gongji-test-2026")
    page.click("main button[type=submit]")
    page.wait_for_url("**/")
    screenshot(page, "home-new-user")

    page.goto("/bindings/new/")
    page.fill("#id_beneficiary_id_number", father.person.id_number)
    page.fill("#id_beneficiary_name", "赵国庆")
    page.select_option("#id_relation", "parent")
    page.check("#id_pledge_accepted")
    screenshot(page, "bind-form")
    page.click("main button[type=submit]")
    page.wait_for_url("**/")
    assert "赵国庆" in page.content()

    page.goto("/pay/")
    page.select_option("#id_year", str(year))
    page.check("input[name=beneficiaries]")
    page.click("main button[type=submit]")
    page.wait_for_url("**/pay/check/*/")
    assert "420.00" in page.content()
    page.click("main form button[type=submit]")
    page.wait_for_url("**/pay/done/*/")
    screenshot(page, "payment-done")
    assert "420.00" in page.content()

    parent_page = new_page()
    user_for(father.person)
    sign_in(parent_page, father.person.id_number)
    parent_page.goto("/records/")
    assert "420.00" in parent_page.content()
    parent_page.goto("/")
    assert "已缴费" in parent_page.content()
    screenshot(parent_page, "home-parent")


def test_self_payment_debits_the_richer_of_two_authorizers(new_page, world, year):
    mother = ResidentFactory()
    poorer = BindingFactory(authorizer=EmployeeFactory(balance_fen=60_000), beneficiary=mother)
    richer = BindingFactory(authorizer=EmployeeFactory(balance_fen=90_000), beneficiary=mother)
    user_for(mother.person)
    page = new_page()
    sign_in(page, mother.person.id_number)

    page.goto("/pay/mine/")
    page.select_option("#id_year", str(year))
    page.click("main button[type=submit]")
    page.wait_for_url("**/pay/mine/check/*/")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/pay/done/*/")

    assert richer.authorizer.person.name in page.content()
    assert Account.objects.get(pk=richer.authorizer.account_id).balance_fen == 48_000
    assert Account.objects.get(pk=poorer.authorizer.account_id).balance_fen == 60_000

    with page.expect_download() as download:
        page.click("a[href$='receipt.pdf']")
    pdf = PdfReader(io.BytesIO(open(download.value.path(), "rb").read()))  # noqa: SIM115
    text = "".join(p.extract_text() for p in pdf.pages)
    assert Payment.objects.get().reference in text
    assert "肆佰贰拾元整" in text


def test_an_invalid_id_number_is_refused_in_plain_words_and_a_cousin_is_not_offered(new_page, world):
    authorizer = EmployeeFactory()
    user_for(authorizer.person)
    page = new_page()
    sign_in(page, authorizer.person.id_number)

    page.goto("/bindings/new/")
    page.fill("#id_beneficiary_id_number", "210202197805120233")
    page.fill("#id_beneficiary_name", "某某")
    page.select_option("#id_relation", "parent")
    page.check("#id_pledge_accepted")
    page.click("main button[type=submit]")
    assert "身份证号校验位不正确" in page.inner_text("#id_beneficiary_id_number-error")

    # Only the near relatives are offered: a cousin can never be bound, so is not a choice.
    offered = page.eval_on_selector_all("#id_relation option", "options => options.map(o => o.value)")
    assert offered == ["", *Relation.values]
    assert "其他亲属" not in page.inner_text("#id_relation")
    screenshot(page, "bind-refused")


def test_large_type_and_english_are_remembered(new_page, world):
    authorizer = EmployeeFactory()
    BindingFactory(authorizer=authorizer)
    user_for(authorizer.person)
    page = new_page(width=1280, height=900)
    sign_in(page, authorizer.person.id_number)
    standard_size = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")

    with page.expect_navigation():
        page.click("button:has-text('长辈模式')")
    page.goto("/")
    large_size = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert page.evaluate("document.documentElement.classList.contains('elderly')")
    assert large_size > standard_size
    screenshot(page, "home-large-type")

    with page.expect_navigation():
        page.click("#language")  # one button switches to the other language
    page.goto("/")
    assert "Relatives my account pays for" in page.content()
    screenshot(page, "home-english-desktop")
