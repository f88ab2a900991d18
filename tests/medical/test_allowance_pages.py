"""The allowance pages: choose, check (nothing held yet), confirm, the confirmation; the release with
its own confirmation; the home pages of both sides."""

import re

from django.test import Client
from django.urls import reverse

from ledger.models import Account
from medical.models import Allowance, AllowanceStatus
from tests.factories import EmployeeFactory, user_for


def signed_in(person) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user_for(person))
    return client


def balance(binding) -> int:
    return Account.objects.get(pk=binding.authorizer.account_id).balance_fen


def test_choose_check_confirm_and_the_confirmation(family):
    client = signed_in(family.authorizer.person)

    chosen = client.post(reverse("allowance", args=[family.pk]), {"amount": "300"})
    assert chosen.status_code == 302
    check_url = chosen["Location"]
    check = client.get(check_url)
    assert balance(family) == 100_000  # nothing held at the check
    html = check.content.decode()
    for element, figure in [
        ("allowance-before", "0.00"), ("allowance-after", "300.00"), ("available-before", "1,000.00"),
        ("available-after", "700.00"), ("held-after", "300.00"),
    ]:  # fmt: skip
        assert re.search(rf'id="{element}">¥{re.escape(figure)}<', html), element
    assert family.beneficiary.person.name in html

    confirmed = client.post(check_url, {"amount_fen": "30000"})

    assert confirmed.status_code == 302
    done = client.get(confirmed["Location"])
    assert done.status_code == 200
    assert "300.00" in done.content.decode()
    assert balance(family) == 70_000
    # Confirming again (the browser's back button) holds nothing twice.
    assert client.post(check_url, {"amount_fen": "30000"}).status_code == 302
    assert balance(family) == 70_000


def test_a_bad_or_too_large_amount_is_shown_on_the_form(family):
    client = signed_in(family.authorizer.person)

    for amount in ("12.345", "0", "1000.01"):
        response = client.post(reverse("allowance", args=[family.pk]), {"amount": amount})
        assert response.status_code == 400, amount
        assert 'aria-invalid="true"' in response.content.decode()
    assert not Allowance.objects.exists()


def test_the_release_says_what_comes_back_then_releases(family, actor_for):
    from medical.services import allowance_set

    person = family.authorizer.person
    allowance_set(authorizer=person, binding_id=family.pk, amount_fen=30_000, actor=actor_for(person))
    client = signed_in(person)
    url = reverse("allowance-release", args=[family.pk])

    page = client.get(url)
    assert 'id="released">¥300.00<' in page.content.decode()
    assert balance(family) == 70_000
    assert client.post(url).status_code == 302

    assert Allowance.objects.get().status == AllowanceStatus.RELEASED
    assert balance(family) == 100_000
    assert client.get(url).status_code == 404


def test_the_home_pages_show_the_allowance_to_both_sides(family, actor_for):
    from medical.services import allowance_set

    person = family.authorizer.person
    allowance_set(authorizer=person, binding_id=family.pk, amount_fen=30_000, actor=actor_for(person))

    mine = signed_in(person).get("/").content.decode()
    theirs = signed_in(family.beneficiary.person).get("/").content.decode()

    for shown in ("Held for allowances", "¥300.00", "¥700.00", "¥1,000.00"):
        assert shown in mine
    assert reverse("allowance", args=[family.pk]) in mine
    assert f"Allowance from {person.name}: ¥300.00 remaining of ¥300.00" in theirs


def test_nobody_else_opens_the_allowance_pages(family):
    for person in (family.beneficiary.person, EmployeeFactory().person):
        client = signed_in(person)
        assert client.get(reverse("allowance", args=[family.pk])).status_code == 404
        assert client.post(reverse("allowance", args=[family.pk]), {"amount": "1"}).status_code == 404
        assert client.get(reverse("allowance-release", args=[family.pk])).status_code == 404
    assert Client().get(reverse("allowance", args=[family.pk])).status_code == 302


def test_the_release_says_what_came_back_after_a_settlement_since_the_page_was_read(family, actor_for):
    from medical.services import allowance_set
    from tests.medical.settling import clinic_make, code_for

    person = family.authorizer.person
    allowance_set(authorizer=person, binding_id=family.pk, amount_fen=30_000, actor=actor_for(person))
    client = signed_in(person)
    url = reverse("allowance-release", args=[family.pk])
    assert 'id="released">¥300.00<' in client.get(url).content.decode()
    clinic_make("H001", family.authorizer.region_code).settle(code_for(family.beneficiary), 10_000)

    done = client.post(url, follow=True, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "200.00 yuan is back in your personal account" in done
    assert balance(family) == 90_000
