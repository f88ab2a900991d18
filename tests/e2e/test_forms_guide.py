"""Forms that guide, in the browser: a refused form's error summary takes the focus, its links take
the reader to the field, and an ID number typed in full-width digits with spaces is taken."""

import pytest

from tests.e2e.conftest import sign_in
from tests.factories import EmployeeFactory, PersonFactory, PledgeFactory, ResidentFactory, user_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def focused(page) -> str:
    return page.evaluate("document.activeElement.id || document.activeElement.className")


def test_the_summary_takes_the_focus_and_its_links_lead_to_the_fields(new_page):
    page = new_page()
    page.goto("/register/")
    page.fill("#id_phone", "12")
    page.click("main button[type=submit]")

    summary = page.locator("[data-error-summary]")
    assert summary.is_visible()
    assert focused(page) == "error-summary"
    assert "请先修改以下问题" in summary.inner_text()

    summary.locator("a[href='#id_phone']").click()
    assert focused(page) == "id_phone"
    assert page.get_attribute("#id_phone", "aria-invalid") == "true"
    described = page.get_attribute("#id_phone", "aria-describedby")
    assert described == "id_phone-error"
    assert page.locator(f"#{described}").inner_text().endswith("请输入11位手机号码。")


def test_the_pledge_is_asked_for_on_the_first_submit(new_page):
    PledgeFactory()
    son = EmployeeFactory()
    user_for(son.person)
    page = new_page()
    sign_in(page, son.person.id_number)

    page.goto("/bindings/new/")
    page.fill("#id_beneficiary_name", "某人")
    page.click("main button[type=submit]")

    links = page.locator("[data-error-summary] a").evaluate_all("links => links.map(a => a.hash)")
    assert "#id_pledge_accepted" in links
    assert "#id_beneficiary_id_number" in links
    assert page.locator("#id_pledge_accepted-error").is_visible()


def test_a_number_typed_in_full_width_digits_with_spaces_binds(new_page):
    PledgeFactory()
    son = EmployeeFactory()
    father = ResidentFactory(person=PersonFactory(name="钱国栋"))
    user_for(son.person)
    number = father.person.id_number
    typed = " ".join([number[:6], number[6:14], number[14:]]).translate(
        {ord(d): chr(0xFF10 + int(d)) for d in "0123456789"}
    )
    page = new_page()
    sign_in(page, son.person.id_number)

    page.goto("/bindings/new/")
    page.fill("#id_beneficiary_id_number", typed)
    page.fill("#id_beneficiary_name", "钱国栋")
    page.select_option("#id_relation", "parent")
    page.check("#id_pledge_accepted")
    page.click("main button[type=submit]")

    page.wait_for_url("**/")
    assert "钱国栋" in page.content()
