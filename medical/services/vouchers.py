"""E-vouchers (医保码): a one-time payment code a relative with an allowance shows at an institution."""

from __future__ import annotations

import datetime
import hashlib
import secrets
from dataclasses import dataclass

from django.utils import timezone

from insurees.models import Person
from medical import errors
from medical.services.calls import function_call

# Valid about a minute: long enough to scan, too short to be of use to whoever sees the screen.
VOUCHER_SECONDS = 60
# Twenty random digits (66 bits): unguessable within a minute, and a cashier can still type them.
VOUCHER_DIGITS = 20


@dataclass(frozen=True)
class IssuedVoucher:
    code: str
    expires_at: datetime.datetime


def voucher_code_sha256(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def voucher_code_well_formed(code: object) -> bool:
    return isinstance(code, str) and len(code) == VOUCHER_DIGITS and code.isascii() and code.isdigit()


def voucher_issue(*, person: Person) -> IssuedVoucher:
    """A new code for a beneficiary with an active allowance (his earlier unused codes stop working);
    else no_allowance."""
    code = f"{secrets.randbelow(10**VOUCHER_DIGITS):0{VOUCHER_DIGITS}d}"
    _id, expires_at = function_call(
        "SELECT * FROM medical_voucher_issue(%s, %s, %s, %s)",
        [person.pk, voucher_code_sha256(code), timezone.now(), VOUCHER_SECONDS],
        refusals={"no_allowance": lambda detail: errors.no_allowance()},
    )
    return IssuedVoucher(code=code, expires_at=expires_at)
