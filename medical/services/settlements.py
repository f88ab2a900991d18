"""Settling a bill at a designated institution from an allowance, reversing it the same day, refunding
part of it later: each one call of medical/migrations/sql/settlements.sql, asked again under the same
key (and the institution's own id) when the connection is lost mid-call. The notices the SQL wrote
with a movement (to both sides of the allowance) leave through the notices' relay."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, partial

from django.contrib.auth.models import User
from django.utils import timezone

from common.outcome import ask_until_known
from common.rows import columns, instances
from insurees.models import Insuree, Person
from medical import errors
from medical.models import Institution, Settlement, SettlementRefund
from medical.services.calls import LOCK_WAIT, Refusals, function_call
from medical.services.vouchers import voucher_code_sha256, voucher_code_well_formed

OWN_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")

REFUSALS: Refusals = {
    "invalid_input": lambda detail: errors.invalid_settlement_amount(),
    "invalid_category": lambda detail: errors.invalid_category(),
    "category_not_covered": lambda detail: errors.category_not_covered(),
    "idempotency_conflict": lambda detail: errors.idempotency_conflict(),
    "institution_not_active": lambda detail: errors.institution_not_active(),
    "voucher_invalid": lambda detail: errors.voucher_invalid(),
    "no_allowance": lambda detail: errors.no_allowance(),
    "region_mismatch": lambda detail: errors.region_mismatch(),
    "insufficient_allowance": lambda detail: errors.insufficient_allowance(int(detail)),
    "settlement_not_found": lambda detail: errors.settlement_not_found(),
    "reversal_not_allowed": errors.reversal_not_allowed,
    "refund_exceeds_settlement": lambda detail: errors.refund_exceeds_settlement(int(detail)),
}


@dataclass(frozen=True)
class Terminal:
    """Who settles: an institution's terminal account, owner of the idempotency key."""

    user: User
    institution: Institution
    idempotency_key: str = ""


def settlement_create(
    *,
    terminal: Terminal,
    voucher_code: str,
    settlement_id: str,
    amount_fen: int,
    category: str,
    allow_partial: bool = False,
) -> Settlement:
    """Pays the bill's amount from the beneficiary's allowance with the most left, all of it or (with
    allow_partial) what the allowance has, the rest as cash due. The code is used by this request,
    whatever its answer."""
    _own_id_checked(settlement_id, field="settlement_id")
    if voucher_code is None or (isinstance(voucher_code, str) and not voucher_code.strip()):
        raise errors.voucher_code_missing()
    if not voucher_code_well_formed(voucher_code):
        raise errors.voucher_invalid()  # a forged code: nothing to look up
    if not isinstance(category, str):
        raise errors.invalid_category()
    _amount_checked(amount_fen)
    params = [
        voucher_code_sha256(voucher_code),
        settlement_id,
        amount_fen,
        category,
        bool(allow_partial),
    ]
    row = _asked(
        _settled_sql("medical_settle(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"), params, terminal=terminal
    )
    return _settlement_from(row)


def settlement_reverse(*, terminal: Terminal, settlement_id: str) -> Settlement:
    """Reverses (冲正) a settlement of the terminal's institution made today, whole: the money goes back
    into the allowance, or to the authorizer's personal account if the allowance has been released."""
    _own_id_checked(settlement_id, field="settlement_id")
    row = _asked(
        _settled_sql("medical_settlement_reverse(%s, %s, %s, %s, %s, %s, %s)"),
        [settlement_id],
        terminal=terminal,
    )
    return _settlement_from(row)


def settlement_refund(
    *, terminal: Terminal, settlement_id: str, refund_id: str, amount_fen: int
) -> SettlementRefund:
    """Refunds part of a settlement (returned items), at most what is left of what the allowance paid."""
    _own_id_checked(settlement_id, field="settlement_id")
    _own_id_checked(refund_id, field="refund_id")
    _amount_checked(amount_fen)
    row = _asked(
        "SELECT * FROM medical_settlement_refund(%s, %s, %s, %s, %s, %s, %s, %s, %s)",
        [settlement_id, refund_id, amount_fen],
        terminal=terminal,
    )
    return SettlementRefund.objects.select_related("settlement").get(pk=row[ANSWER])


# Every call's row begins with its medical_settled answer (replayed, id, refusal, its detail, the
# notices written): ANSWER is the id of what it made or answered. A settle or reverse row goes on, from
# SETTLEMENT, with that settlement, its beneficiary's person and its institution (_settled_sql).
ANSWER = 1
SETTLEMENT = 5


@cache
def _settled_sql(call: str) -> str:
    """The call and the settlement in one statement, so one round trip answers the request."""
    tables = {model: model._meta.db_table for model in (Insuree, Person, Institution)}
    return (
        "SELECT r.o_replayed, r.o_id, r.o_refusal, r.o_detail, r.o_notice_ids, "  # noqa: S608 - names from the models
        f"{columns(Settlement, 's')}, {columns(Insuree, 'b')}, {columns(Person, 'p')}, "
        f"{columns(Institution, 'i')} FROM {call} r "
        "LEFT JOIN LATERAL medical_settlement_fresh(r.o_id) s ON true "
        f"LEFT JOIN {tables[Insuree]} b ON b.id = s.beneficiary_id "
        f"LEFT JOIN {tables[Person]} p ON p.id = b.person_id "
        f"LEFT JOIN {tables[Institution]} i ON i.id = s.institution_id"
    )


def _settlement_from(row: tuple) -> Settlement:
    """The settlement with its beneficiary's person and its institution, as select_related would give
    them."""
    settlement, beneficiary, person, institution = instances(
        row[SETTLEMENT:], [Settlement, Insuree, Person, Institution]
    )
    if settlement is None:  # never: the call answered with its own settlement's id
        raise Settlement.DoesNotExist(row[ANSWER])
    _cache_related(beneficiary, "person", person)
    _cache_related(settlement, "beneficiary", beneficiary)
    _cache_related(settlement, "institution", institution)
    return settlement  # type: ignore[return-value]  # instances() gives Model


def _cache_related(instance, field: str, related) -> None:
    instance._meta.get_field(field).set_cached_value(instance, related)


def _own_id_checked(value: object, *, field: str) -> None:
    if not isinstance(value, str) or not OWN_ID.fullmatch(value):
        raise errors.invalid_own_id(field)


def _amount_checked(amount_fen: object) -> None:
    # Its range is judged by the SQL (one rule, one place); here only that it is a whole number of fen.
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool):
        raise errors.invalid_settlement_amount()


def _asked(sql: str, args: list, *, terminal: Terminal) -> tuple:
    return ask_until_known(
        partial(_ask_once, sql, args, terminal=terminal),
        what="settlement",
        unknown=errors.settlement_outcome_unknown,
    )


def _ask_once(sql: str, args: list, *, terminal: Terminal) -> tuple:
    """The call's row: its answer (replayed, id, refusal, detail, notices), then what it reads with it."""
    now = timezone.now()
    params = [
        terminal.user.pk,
        terminal.idempotency_key,
        LOCK_WAIT,
        terminal.institution.pk,
        *args,
        timezone.localdate(now),
        now,
    ]
    # The notices it wrote to both sides leave through the notices' relay.
    row = function_call(sql, params, refusals=REFUSALS)
    _replayed, _pk, refusal, detail, _notices = row[:SETTLEMENT]
    if refusal:
        # Refused after the code was used: the use is committed, the refusal is the answer.
        raise REFUSALS[refusal](detail or "")
    return row
