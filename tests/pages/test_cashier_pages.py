"""The cashier page of a small pharmacy: settle with the patient's code (once, however often the form is
sent), the printable slip, today's settlements with a reversal after a confirmation; its own
institution's settlements only, and for its terminal logins only."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.services import login_attempt
from common.permissions import staff_landing
from ledger.models import Account
from medical.models import Allowance, Settlement, SettlementStatus
from medical.services import voucher_issue
from tests.api.test_hostile_input import HOSTILE_STRINGS
from tests.factories import BindingFactory, EmployeeFactory, PersonFactory, ResidentFactory, user_for
from tests.pages.cashiers import (
    PASSWORD,
    allowance,
    cashier_form,
    institution,
    settle,
    signed_in,
    terminal_user,
)
from tests.staff.conftest import staff_user


@pytest.fixture
def family(db):
    """张伟 (employee) and his father 张德明, whose allowance is 300 yuan."""
    binding = BindingFactory(
        authorizer=EmployeeFactory(balance_fen=100_000, person=PersonFactory(name="张伟")),
        beneficiary=ResidentFactory(person=PersonFactory(name="张德明")),
    )
    allowance(binding, 30_000)
    return binding


@pytest.fixture
def pharmacy(db):
    return institution("PH0001", "大连康民大药房")


@pytest.fixture
def cashier(pharmacy):
    return terminal_user(pharmacy, "kangmin")


@pytest.fixture
def other_cashier(db):
    """The terminal of another pharmacy of the same city."""
    return terminal_user(institution("PH0002", "大连益寿堂药店"), "yishoutang")


def spent(binding) -> int:
    return Allowance.objects.get(binding=binding, status="active").spent_fen


def hold(binding) -> int:
    return Account.objects.get(pk=Allowance.objects.get(binding=binding).hold_account_id).balance_fen


def bill(client, beneficiary, amount: str = "86.50", **fields) -> dict:
    """The form as the cashier sends it: the ids the page made, the amount, a code just shown."""
    return {
        **cashier_form(client),
        "amount": amount,
        "category": "drugs",
        "voucher_code": voucher_issue(person=beneficiary.person).code,
        **fields,
    }


def test_a_terminal_signs_in_and_lands_on_the_cashier_page(cashier):
    client = Client()

    signed = client.post(reverse("login"), {"identifier": "kangmin", "password": PASSWORD}, follow=True)

    assert signed.redirect_chain[-1][0] == reverse("cashier")
    assert signed.status_code == 200
    assert "大连康民大药房" in signed.content.decode()
    assert staff_landing(cashier) == "cashier"
    assert login_attempt(identifier="kangmin", password=PASSWORD, ip=None) == cashier


def test_the_form_offers_covered_categories_only_with_its_own_ids_and_is_never_cached(cashier):
    client = signed_in(cashier)

    page = client.get(reverse("cashier"))

    html = page.content.decode()
    assert "no-store" in page["Cache-Control"]
    categories = re.findall(r'name="category" value="([a-z_]+)"', html)
    assert categories == ["outpatient", "inpatient", "drugs", "devices", "consumables"]
    assert 'value="drugs" id="id_category_2" required checked' in html  # a pharmacy sells drugs
    ids = cashier_form(client)
    assert re.fullmatch(rf"{timezone.localdate():%Y%m%d}-[0-9A-F]{{8}}", ids["settlement_id"])
    assert ids != cashier_form(client)  # a new bill, new ids


def test_a_bill_settles_and_the_slip_shows_its_figures(family, cashier):
    client = signed_in(cashier, "en")
    form = bill(client, family.beneficiary)

    settled = client.post(reverse("cashier"), form)

    slip_url = reverse("cashier-slip", args=[form["settlement_id"]])
    assert (settled.status_code, settled["Location"]) == (302, slip_url)
    settlement = Settlement.objects.get()
    assert (settlement.amount_fen, settlement.paid_fen, settlement.cash_due_fen) == (8_650, 8_650, 0)
    assert settlement.settlement_id == form["settlement_id"]
    assert settlement.idempotency_key == form["idempotency_key"]
    assert spent(family) == 8_650
    slip = client.get(slip_url)
    html = slip.content.decode()
    for element, shown in [
        ("slip-title", "大连康民大药房"),
        ("slip-id", form["settlement_id"]),
        ("slip-patient", "张**"),
        ("slip-category", "Drugs"),
        ("slip-amount", "¥86.50"),
        ("slip-paid", "¥86.50"),
        ("slip-cash", "¥0.00"),
        ("slip-time", timezone.localtime(settlement.created_at).strftime("%Y-%m-%d %H:%M:%S")),
    ]:
        assert re.search(rf'id="{element}"[^>]*>{re.escape(shown)}<', html), element
    assert "张德明" not in html  # the cashier reads a masked name
    # Printed, the slip is its figures: the header, the footer and the buttons are left off.
    assert '<div class="actions no-print">' in html
    css = Path(finders.find("css/site.css")).read_text()
    assert re.search(r"@media print \{\s*header\.top, footer, \.skip, \.no-print", css)


def test_a_double_submit_settles_once(family, cashier):
    client = signed_in(cashier)
    form = bill(client, family.beneficiary)

    first = client.post(reverse("cashier"), form)
    second = client.post(reverse("cashier"), form)

    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Settlement.objects.count() == 1
    assert spent(family) == 8_650


def test_an_allowance_smaller_than_the_bill_pays_what_it_has_when_allowed(family, cashier):
    client = signed_in(cashier, "en")
    refused_form = bill(client, family.beneficiary, amount="380.00")

    refused = client.post(reverse("cashier"), refused_form)

    assert refused.status_code == 400
    html = refused.content.decode()
    assert "The allowance has 300.00 yuan left" in html
    assert "tick the box below and scan a new code" in html
    assert "with allow_partial" not in html  # the API's field name, not the page's checkbox
    assert "The patient&#x27;s code has been used: ask for a new one" in html
    assert 'name="voucher_code" value=' not in html  # scanned again, into an empty box
    assert re.search(r'name="amount" value="380.00"', html)  # the rest stays as typed
    assert not Settlement.objects.exists()
    assert spent(family) == 0

    partial = client.post(
        reverse("cashier"),
        {
            **refused_form,
            "voucher_code": voucher_issue(person=family.beneficiary.person).code,
            "allow_partial": "on",
        },
    )

    assert partial.status_code == 302
    slip = client.get(partial["Location"]).content.decode()
    assert 'id="slip-amount">¥380.00<' in slip
    assert 'id="slip-paid">¥300.00<' in slip
    assert 'id="slip-cash">¥80.00<' in slip
    assert spent(family) == 30_000


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"voucher_code": "1234"}, "voucher_code", "A payment code has 20 digits"),
        ({"voucher_code": "0" * 20}, "voucher_code", "This payment code is not valid"),
        ({"amount": "0"}, "amount", "Enter an amount in yuan above zero"),
        ({"amount": "12.345"}, "amount", "Enter an amount in yuan above zero"),
        ({"category": "wellness"}, "category", "Select a valid choice"),
    ],
)
def test_a_refused_bill_says_why_next_to_the_field_and_moves_nothing(family, cashier, fields, field, message):
    client = signed_in(cashier, "en")
    form = bill(client, family.beneficiary, **fields)

    refused = client.post(reverse("cashier"), form)

    assert refused.status_code == 400
    html = refused.content.decode()
    assert f'href="#id_{field}' in html  # the error summary links to the field
    assert message in html
    assert not Settlement.objects.exists()
    assert spent(family) == 0


def test_a_used_code_is_refused_with_what_to_do(family, cashier):
    client = signed_in(cashier, "en")
    form = bill(client, family.beneficiary)
    client.post(reverse("cashier"), form)

    again = client.post(
        reverse("cashier"),
        {**cashier_form(client), **{k: form[k] for k in ("amount", "category", "voucher_code")}},
    )

    assert again.status_code == 400
    assert "Ask the patient to refresh the code" in again.content.decode()
    assert Settlement.objects.count() == 1


def test_today_lists_this_institutions_settlements_with_a_reversal_for_the_settled_ones(
    family, cashier, other_cashier
):
    mine = settle(cashier, family.beneficiary, 2_000)
    reversed_ = settle(cashier, family.beneficiary, 3_000)
    client = signed_in(cashier)
    client.post(reverse("cashier-reverse", args=[reversed_.settlement_id]), {"idempotency_key": "rev-1"})
    theirs = settle(other_cashier, family.beneficiary, 4_000)

    html = client.get(reverse("cashier")).content.decode()

    today = html[html.index('id="today"') :]
    assert mine.settlement_id in today
    assert reversed_.settlement_id in today
    assert theirs.settlement_id not in today
    assert reverse("cashier-reverse", args=[mine.settlement_id]) in today
    assert reverse("cashier-reverse", args=[reversed_.settlement_id]) not in today
    assert "张**" in today
    assert "张德明" not in today


def test_a_reversal_names_the_settlement_then_reverses_it_once(family, cashier):
    settlement = settle(cashier, family.beneficiary, 5_000)
    client = signed_in(cashier, "en")
    url = reverse("cashier-reverse", args=[settlement.settlement_id])

    confirm = client.get(url)

    html = confirm.content.decode()
    assert f"Reverse bill {settlement.settlement_id} of ¥50.00?" in html
    assert 'id="reverse-amount">¥50.00<' in html
    assert spent(family) == 5_000  # the confirmation moves nothing
    key = re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)

    first = client.post(url, {"idempotency_key": key})
    second = client.post(url, {"idempotency_key": key})  # the button pressed twice

    assert first.status_code == second.status_code == 302
    assert first["Location"] == reverse("cashier")
    settlement.refresh_from_db()
    assert settlement.status == SettlementStatus.REVERSED
    assert spent(family) == 0
    assert hold(family) == 30_000
    later = client.post(url, {"idempotency_key": "another-key"})
    assert later.status_code == 400
    assert "This settlement was already reversed." in later.content.decode()
    assert "Confirm the reversal" not in client.get(url).content.decode()


def test_another_institution_cannot_see_or_reverse_the_settlement(family, cashier, other_cashier):
    settlement = settle(cashier, family.beneficiary, 5_000)
    intruder = signed_in(other_cashier)

    slip = intruder.get(reverse("cashier-slip", args=[settlement.settlement_id]))
    confirm = intruder.get(reverse("cashier-reverse", args=[settlement.settlement_id]))
    reverse_ = intruder.post(
        reverse("cashier-reverse", args=[settlement.settlement_id]), {"idempotency_key": "intruder"}
    )

    assert (slip.status_code, confirm.status_code, reverse_.status_code) == (404, 404, 404)
    settlement.refresh_from_db()
    assert settlement.status == SettlementStatus.SETTLED
    assert spent(family) == 5_000
    missing = intruder.get(reverse("cashier-slip", args=["NO-SUCH-BILL"]))
    assert missing.status_code == 404  # another's id and a missing one look the same


def test_the_cashier_page_is_for_terminals_only(family, cashier):
    insuree = signed_in(user_for(family.authorizer.person), "en")
    clerk = signed_in(staff_user("counter_staff", "cashier-clerk"), "en")
    auditor = signed_in(staff_user("auditor", "cashier-auditor"), "en")
    settlement = settle(cashier, family.beneficiary, 1_000)
    before = Settlement.objects.values().get()

    for client in (insuree, clerk, auditor):
        for url in (
            reverse("cashier"),
            reverse("cashier-slip", args=[settlement.settlement_id]),
            reverse("cashier-reverse", args=[settlement.settlement_id]),
        ):
            for method in ("get", "post"):
                response = getattr(client, method)(url, {"idempotency_key": "x"} if method == "post" else {})
                assert response.status_code == 403, (url, method)
                assert "This page is for the cashiers of designated hospitals and pharmacies" in (
                    response.content.decode()
                )
    assert (
        "Your account can use the pages for insured persons"
        in insuree.get(reverse("cashier")).content.decode()
    )
    assert Settlement.objects.values().get() == before
    anonymous = Client().get(reverse("cashier"))
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/login/")


def test_a_group_member_without_a_terminal_record_is_refused(db):
    user = staff_user("institution", "half-made-terminal")  # no institution to settle for

    assert signed_in(user).get(reverse("cashier")).status_code == 403
    assert staff_landing(user) == "staff:no-role"


def test_a_terminal_sees_neither_the_insurees_nor_the_staff_pages(cashier):
    client = signed_in(cashier, "en")

    assert client.get(reverse("home"))["Location"] == reverse("cashier")
    for name in ("records", "notifications", "voucher", "my-allowances", "pay"):
        assert client.get(reverse(name)).status_code == 404, name
    for name in ("staff:home", "staff:review", "staff:reconciliation"):
        refused = client.get(reverse(name))
        assert refused.status_code == 403, name
        assert "Your account can use the cashier page of your institution" in refused.content.decode()
    nav = client.get(reverse("cashier")).content.decode()
    assert f'<a href="{reverse("cashier")}">Cashier</a>' in nav
    assert reverse("staff:home") not in nav


HOSTILE_CASES = [
    (field, value) for field in ("voucher_code", "amount", "category") for value in HOSTILE_STRINGS
]


@pytest.mark.parametrize(
    ("field", "value"), HOSTILE_CASES, ids=[f"{f}:{i}" for i, (f, _v) in enumerate(HOSTILE_CASES)]
)
def test_a_hostile_field_is_shown_again_with_the_reason_and_settles_nothing(family, cashier, field, value):
    client = signed_in(cashier)
    body = {**bill(client, family.beneficiary), field: value}

    response = client.post(reverse("cashier"), body)

    assert response.status_code == 400, response.content[:300]
    html = response.content.decode()
    assert 'role="alert"' in html
    assert "<script>alert(1)</script>" not in html
    assert not Settlement.objects.exists()
    assert spent(family) == 0


@pytest.mark.parametrize("value", HOSTILE_STRINGS, ids=[str(i) for i in range(len(HOSTILE_STRINGS))])
def test_a_hostile_settlement_id_is_refused_or_is_an_id_never_a_500(family, cashier, value):
    client = signed_in(cashier)

    response = client.post(reverse("cashier"), {**bill(client, family.beneficiary), "settlement_id": value})

    assert response.status_code in {302, 400}, response.content[:300]
    assert "<script>alert(1)</script>" not in response.content.decode()
    if response.status_code == 400:
        assert not Settlement.objects.exists()
    else:
        assert Settlement.objects.get().settlement_id == value
