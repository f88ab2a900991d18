"""What the settlement tests share: an institution imported as the register would be, its terminals,
allowances set through the service, codes issued and bills settled, reversed and refunded through
medical.services, and the ledger read back."""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass

import pytest

from common.errors import ApplicationError
from insurees.models import Insuree
from ledger.models import Account, Entry, Transaction
from medical.models import Allowance, Institution, Settlement, SettlementRefund
from medical.services import (
    Actor,
    Terminal,
    allowance_set,
    institution_terminal_create,
    institutions_file_import,
    settlement_create,
    settlement_refund,
    settlement_reverse,
    voucher_issue,
)
from tests.factories import user_for

_ids = itertools.count(1)
TERMINAL_PASSWORD = "a-long-terminal-password"


def institution_import(
    code: str, region_code: str, *, status: str = "active", kind: str = "hospital", name: str = ""
) -> Institution:
    report = institutions_file_import(
        file=io.StringIO(
            "code,name,kind,region_code,status\n"
            f"{code},{name or code + '医院'},{kind},{region_code},{status}\n"
        )
    )
    assert not report.bad, report.bad
    return Institution.objects.get(code=code)


@dataclass
class Clinic:
    """An institution and one of its terminals, settling as API.md says (each call its own key)."""

    institution: Institution
    user: object

    def terminal(self, key: str | None = None) -> Terminal:
        return Terminal(
            user=self.user, institution=self.institution, idempotency_key=key or f"key-{next(_ids)}"
        )

    def settle(
        self,
        code: str,
        amount_fen: int,
        *,
        settlement_id: str | None = None,
        category: str = "outpatient",
        allow_partial: bool = False,
        key: str | None = None,
    ) -> Settlement:
        return settlement_create(
            terminal=self.terminal(key),
            voucher_code=code,
            settlement_id=settlement_id or f"S{next(_ids)}",
            amount_fen=amount_fen,
            category=category,
            allow_partial=allow_partial,
        )

    def reverse(self, settlement_id: str, *, key: str | None = None) -> Settlement:
        return settlement_reverse(terminal=self.terminal(key), settlement_id=settlement_id)

    def refund(
        self, settlement_id: str, amount_fen: int, *, refund_id: str | None = None, key: str | None = None
    ) -> SettlementRefund:
        return settlement_refund(
            terminal=self.terminal(key),
            settlement_id=settlement_id,
            refund_id=refund_id or f"R{next(_ids)}",
            amount_fen=amount_fen,
        )


def clinic_make(code: str, region_code: str, *, status: str = "active", name: str = "") -> Clinic:
    institution = institution_import(code, region_code, status=status, name=name)
    return Clinic(institution=institution, user=terminal_user(institution))


def terminal_user(institution: Institution):
    terminal = institution_terminal_create(
        institution_code=institution.code,
        username=f"terminal-{institution.code.lower()}-{next(_ids)}",
        password=TERMINAL_PASSWORD,
    )
    return terminal.user


def allowance_for(binding, amount_fen: int, *, notify_over_fen: int | None = None) -> Allowance:
    person = binding.authorizer.person
    allowance = allowance_set(
        authorizer=person,
        binding_id=binding.pk,
        amount_fen=amount_fen,
        actor=Actor(user=user_for(person), idempotency_key=f"set-{next(_ids)}"),
    )
    if notify_over_fen is not None:
        Allowance.objects.filter(pk=allowance.pk).update(notify_over_fen=notify_over_fen)
        allowance.refresh_from_db()
    return allowance


def code_for(insuree: Insuree) -> str:
    return voucher_issue(person=insuree.person).code


def refused(code: str, call) -> ApplicationError:
    with pytest.raises(ApplicationError) as error:
        call()
    assert error.value.code == code, error.value.code
    return error.value


def balance(account_id: int) -> int:
    return Account.objects.get(pk=account_id).balance_fen


def remaining(allowance: Allowance) -> int:
    allowance.refresh_from_db()
    return allowance.remaining_fen


def legs(transaction_id: int) -> list[tuple[int, int]]:
    """The transaction's entries, (account, amount), in account order."""
    return sorted(Entry.objects.filter(transaction_id=transaction_id).values_list("account_id", "amount_fen"))


def transactions_with(memo: str) -> int:
    return Transaction.objects.filter(memo=memo).count()
