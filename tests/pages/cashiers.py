"""The medical pages' world, made through medical's own services: institutions from the register's
CSV, their terminal logins, allowances, and settlements with a fresh payment code."""

from __future__ import annotations

import io
import itertools
import re

from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from medical.models import Allowance, Institution, Settlement
from medical.services import (
    Actor,
    Terminal,
    allowance_set,
    institution_terminal_create,
    institutions_file_import,
    settlement_create,
    voucher_issue,
)
from tests.factories import user_for

PASSWORD = "Gongji-test-2026"  # noqa: S105 - the factories' password
_ids = itertools.count(1)
HIDDEN = re.compile(r'name="(settlement_id|idempotency_key)" value="([^"]*)"')


def institution(
    code: str = "PH0001", name: str = "大连康民大药房", kind: str = "pharmacy", region: str = "210200"
) -> Institution:
    report = institutions_file_import(
        file=io.StringIO(f"code,name,kind,region_code,status\n{code},{name},{kind},{region},active\n")
    )
    assert not report.bad, report.bad
    return Institution.objects.get(code=code)


def terminal_user(place: Institution, username: str) -> User:
    return institution_terminal_create(institution_code=place.code, username=username, password=PASSWORD).user


def allowance(binding, amount_fen: int) -> Allowance:
    person = binding.authorizer.person
    return allowance_set(
        authorizer=person,
        binding_id=binding.pk,
        amount_fen=amount_fen,
        actor=Actor(user=user_for(person), idempotency_key=f"pages-allowance-{next(_ids)}"),
    )


def settle(user: User, beneficiary, amount_fen: int, *, category: str = "drugs", **kwargs) -> Settlement:
    """A settlement at the user's institution with a code the beneficiary's phone just showed."""
    code = voucher_issue(person=beneficiary.person).code
    return settlement_create(
        terminal=Terminal(user=user, institution=user.terminal.institution, idempotency_key=f"k{next(_ids)}"),
        voucher_code=code,
        settlement_id=kwargs.pop("settlement_id", f"T-{next(_ids)}"),
        amount_fen=amount_fen,
        category=category,
        **kwargs,
    )


def signed_in(user: User, language: str = "zh-hans") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def cashier_form(client: Client) -> dict[str, str]:
    """The hidden ids of the bill's form, as the cashier page made them."""
    page = client.get(reverse("cashier"))
    assert page.status_code == 200
    return dict(HIDDEN.findall(page.content.decode()))
