"""Counter staff serving a walk-in applicant, and an auditor reviewing, in Chromium on a desktop."""

import pytest
from django.contrib.auth.models import Group

from mutual_aid.models import Binding
from payments.models import Payment
from staff.models import AuditRecord
from tests.e2e.conftest import screenshot, sign_in
from tests.factories import EmployeeFactory, PledgeFactory, PremiumRateFactory, ResidentFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def year():
    from django.utils import timezone

    return timezone.localdate().year + 1


def staff(username, role):
    user = UserFactory(username=username)
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


def test_a_clerk_serves_a_walk_in_applicant(new_page, year):
    PledgeFactory()
    PremiumRateFactory(year=year)
    applicant = EmployeeFactory(balance_fen=100_000)
    mother = ResidentFactory()
    staff("clerk", "counter_staff")
    page = new_page(width=1280, height=900)
    sign_in(page, "clerk")

    page.goto("/staff/")
    page.fill("#id_counter_id", "DL-03")
    page.click("main form:has(#id_counter_id) button[type=submit]")
    page.fill("#id_id_number", applicant.person.id_number)
    page.click("main form:has(#id_id_number) button[type=submit]")
    page.wait_for_url("**/staff/person/")
    assert applicant.person.id_number in page.content()

    page.fill("#id_beneficiary_id_number", mother.person.id_number)
    page.fill("#id_beneficiary_name", mother.person.name)
    page.select_option("#id_relation", "parent")
    page.fill("#id_paper_pledge_ref", "PL-2026-0042")
    page.check("#id_identity_confirmed")
    page.click("form[action$='/bind/'] button[type=submit]")
    page.wait_for_load_state()
    assert Binding.objects.get(beneficiary=mother).paper_pledge_ref == "PL-2026-0042"

    page.check(f"form[action$='/pay/'] input[value='relative-{mother.pk}']")
    page.select_option("form[action$='/pay/'] #id_year", str(year))
    page.click("form[action$='/pay/'] button[type=submit]")
    page.wait_for_url("**/staff/person/pay/check/*/")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/staff/person/pay/done/*/")
    payment = Payment.objects.get(beneficiary=mother)
    assert payment.reference in page.content()
    screenshot(page, "counter-person")

    receipt = page.request.get(f"/staff/payments/{payment.pk}/receipt.pdf")
    assert receipt.headers["content-type"] == "application/pdf"
    assert AuditRecord.objects.filter(counter_id="DL-03").count() == 3


def test_an_auditor_filters_and_exports_csv(new_page, year):
    PledgeFactory()
    PremiumRateFactory(year=year)
    PremiumRateFactory(year=year, region_code="320500")
    from payments.services import Actor
    from tests.factories import BindingFactory
    from tests.payments.paying import payment_create_for_relative

    for region in ("210200", "320500"):
        binding = BindingFactory(
            authorizer=EmployeeFactory(region_code=region), beneficiary=ResidentFactory(region_code=region)
        )
        payment_create_for_relative(
            authorizer=binding.authorizer,
            beneficiary=binding.beneficiary,
            year=year,
            actor=Actor(user=UserFactory(), idempotency_key=region),
        )
    staff("auditor", "auditor")
    page = new_page(width=1280, height=900)
    sign_in(page, "auditor")

    page.goto("/staff/review/")
    assert page.inner_text("#total-payments") == "2"
    page.select_option("#id_region", "320000")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert page.inner_text("#total-payments") == "1"
    assert page.evaluate("typeof Chart") == "function"
    screenshot(page, "review-filtered")

    with page.expect_download() as download:
        page.click("a:has-text('CSV')")
    rows = open(download.value.path(), encoding="utf-8-sig").read().splitlines()  # noqa: SIM115
    assert len(rows) == 2
    assert ",苏州市," in rows[1]  # 320500, by name
