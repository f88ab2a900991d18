"""The invariants of DESIGN.md, checked after every scenario, and what a refusal must leave alone."""

from django.core import mail
from django.db.models import Count, Q, Sum
from django.utils import timezone

from insurees.models import Enrollment
from ledger.models import Account, AccountKind, Entry, Transaction
from ledger.selectors import accounts_out_of_balance, transactions_not_balanced
from medical.models import (
    Allowance,
    AllowanceChange,
    Institution,
    Settlement,
    SettlementRefund,
    SettlementStatus,
    Voucher,
)
from mutual_aid.models import Binding
from notices.models import Notice
from payments.models import IdempotencyKey, OutboxMessage, Payment, PaymentStatus

# The fund each premium kind is paid into, per region (pay.sql).
FUND_PREFIXES = {"resident_medical": "fund:resident_premium:", "long_term_care": "fund:ltc_premium:"}
# The ledger memos of settlements.sql's movements.
SETTLEMENT_MEMOS = ("settlement", "settlement reversal", "settlement refund")


def assert_money_invariants() -> None:
    # Never overdrawn: no personal or fund account below zero.
    assert not Account.objects.filter(kind="personal", balance_fen__lt=0).exists()
    assert not Account.objects.filter(kind="fund", balance_fen__lt=0).exists()
    assert not Account.objects.filter(kind="hold", balance_fen__lt=0).exists()
    # Every transaction's entries sum to zero, and so does the whole ledger.
    assert transactions_not_balanced() == []
    assert (Entry.objects.aggregate(total=Sum("amount_fen"))["total"] or 0) == 0
    # Every balance equals the sum of its entries.
    assert accounts_out_of_balance() == []
    # At most one settled payment per beneficiary, year and premium kind.
    doubled = (
        Payment.objects.values("beneficiary", "year", "kind")
        .annotate(settled=Count("pk", filter=Q(status=PaymentStatus.SETTLED)))
        .filter(settled__gt=1)
    )
    assert not doubled.exists()
    # A paid enrollment is paid by a settled payment of its own beneficiary, year and kind.
    for enrollment in Enrollment.objects.filter(paid=True):
        payment = Payment.objects.get(pk=enrollment.payment_id)
        assert (payment.status, payment.beneficiary_id, payment.year, payment.kind) == (
            PaymentStatus.SETTLED,
            enrollment.insuree_id,
            enrollment.year,
            enrollment.kind,
        )
    # Each kind's premiums are in that kind's fund: a payment's money went to its own kind's fund.
    credited: dict[int, set[str]] = {}
    for txn_id, code in Entry.objects.filter(
        amount_fen__gt=0, transaction_id__in=Payment.objects.values("ledger_transaction_id")
    ).values_list("transaction_id", "account__code"):
        credited.setdefault(txn_id, set()).add(code)
    for payment in Payment.objects.only("kind", "region_code", "ledger_transaction_id"):
        expected = {f"{FUND_PREFIXES[payment.kind]}{payment.region_code}"}
        assert credited.get(payment.ledger_transaction_id) == expected, payment
    # An allowance's hold account holds its unspent part while it is active, nothing once released;
    # every hold account is one allowance's, and no active allowance outlives its binding.
    for allowance in Allowance.objects.select_related("hold_account"):
        unspent = allowance.amount_fen - allowance.spent_fen if allowance.status == "active" else 0
        assert allowance.hold_account.balance_fen == unspent, allowance
    holds = Allowance.objects.values("hold_account")
    assert not Account.objects.filter(kind="hold").exclude(pk__in=holds).exists()
    assert not Allowance.objects.filter(status="active").exclude(binding__status="active").exists()
    # A refunded payment's money came back through its own reversal.
    for payment in Payment.objects.filter(status=PaymentStatus.REFUNDED).select_related("refund_transaction"):
        assert payment.refund_transaction.reverses_id == payment.ledger_transaction_id
    assert_settlement_invariants()


def assert_settlement_invariants() -> None:
    """The settlement rules of DESIGN.md: what an allowance spent, what each institution is owed and
    every movement between them add up, each one balanced transaction between the right accounts."""
    settlements = list(
        Settlement.objects.select_related("voucher", "allowance", "institution", "authorizer").order_by("pk")
    )
    refunds = list(SettlementRefund.objects.order_by("pk"))
    refunded: dict[int, int] = {}
    for refund in refunds:
        refunded[refund.settlement_id] = refunded.get(refund.settlement_id, 0) + refund.amount_fen
    # An allowance's spent part is what its settlements paid, net of their refunds, the reversed ones
    # not counted; each institution's payable account holds the same sum of its own settlements.
    spent: dict[int, int] = {}
    owed: dict[int, int] = {}
    for settlement in settlements:
        net = (
            0
            if settlement.status == SettlementStatus.REVERSED
            else settlement.paid_fen - settlement.refunded_fen
        )
        spent[settlement.allowance_id] = spent.get(settlement.allowance_id, 0) + net
        owed[settlement.institution_id] = owed.get(settlement.institution_id, 0) + net
    for allowance_id, spent_fen in Allowance.objects.values_list("pk", "spent_fen"):
        assert spent_fen == spent.get(allowance_id, 0), (allowance_id, spent_fen, spent.get(allowance_id, 0))
    for institution in Institution.objects.select_related("account"):
        assert institution.account.kind == AccountKind.PAYABLE, institution
        assert institution.account.balance_fen == owed.get(institution.pk, 0), institution
    payables = Institution.objects.values("account")
    assert not Account.objects.filter(kind=AccountKind.PAYABLE).exclude(pk__in=payables).exists()

    legs: dict[int, list[tuple[int, int]]] = {}
    for txn_id, account_id, amount_fen in Entry.objects.filter(
        transaction__memo__in=SETTLEMENT_MEMOS
    ).values_list("transaction_id", "account_id", "amount_fen"):
        legs.setdefault(txn_id, []).append((account_id, amount_fen))
    moved: set[int] = set()
    for s in settlements:
        hold, payable = s.allowance.hold_account_id, s.institution.account_id
        personal = s.authorizer.account_id
        # Its code: its beneficiary's, used by this settlement alone (a code settles once: the database's
        # one-to-one), at its institution.
        assert (s.voucher.beneficiary_id, s.voucher.used_by_id, s.voucher.used_for, s.voucher.refusal) == (
            s.beneficiary_id, s.institution_id, s.settlement_id, "",
        ), s  # fmt: skip
        assert s.voucher.used_at == s.created_at, s  # used by the statement that settled
        assert (s.authorizer_id, s.beneficiary_id) == (
            s.allowance.authorizer_id,
            s.allowance.beneficiary_id,
        ), s
        assert (s.amount_fen, s.paid_fen > 0) == (s.paid_fen + s.cash_due_fen, True), s
        assert s.refunded_fen == refunded.get(s.pk, 0), s
        # From the allowance's hold to the institution, once.
        assert sorted(legs[s.ledger_transaction_id]) == sorted(
            [(hold, -s.paid_fen), (payable, s.paid_fen)]
        ), s
        moved.add(s.ledger_transaction_id)
        if s.status == SettlementStatus.REVERSED:
            assert (s.refunded_fen, s.reversed_on) == (0, s.business_date), s
            [(source, out), (target, back)] = sorted(legs[s.reversal_transaction_id], key=lambda leg: leg[1])
            assert (source, out, back) == (payable, -s.paid_fen, s.paid_fen), s
            assert target in (hold, personal), s
            moved.add(s.reversal_transaction_id)
    by_pk = {s.pk: s for s in settlements}
    for refund in refunds:
        s = by_pk[refund.settlement_id]
        assert refund.institution_id == s.institution_id, refund
        target = s.allowance.hold_account_id if refund.to_allowance else s.authorizer.account_id
        assert sorted(legs[refund.ledger_transaction_id]) == sorted(
            [(s.institution.account_id, -refund.amount_fen), (target, refund.amount_fen)]
        ), refund
        moved.add(refund.ledger_transaction_id)
    # Every settlement movement in the ledger is one of these: none without its record.
    assert set(legs) == moved

    # A code used without a settlement was refused after its use, and says why; each person has at most
    # one code that still works (a new one stops the earlier).
    used_alone = Voucher.objects.filter(used_at__isnull=False, settlement__isnull=True)
    assert not used_alone.filter(refusal="").exists()
    live = (
        Voucher.objects.filter(used_at__isnull=True, expires_at__gt=timezone.now())
        .values("beneficiary")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    assert not live.exists()


class Snapshot:
    """Everything a refused request must leave exactly as it was."""

    def __init__(self) -> None:
        self.state = self._state()

    @staticmethod
    def _state() -> dict:
        return {
            "balances": dict(Account.objects.values_list("pk", "balance_fen")),
            "transactions": list(Transaction.objects.values_list("pk", flat=True).order_by("pk")),
            "entries": Entry.objects.count(),
            "payments": list(Payment.objects.values_list("pk", "status").order_by("pk")),
            "outbox": list(OutboxMessage.objects.values_list("pk", "dispatched_at").order_by("pk")),
            "notices": Notice.objects.count(),
            "keys": list(IdempotencyKey.objects.values_list("user_id", "key").order_by("pk")),
            "enrollments": Enrollment.objects.count(),
            "enrollments_paid": list(
                Enrollment.objects.filter(paid=True).values_list("pk", "payment_id").order_by("pk")
            ),
            "bindings": list(
                Binding.objects.values_list("pk", "status", "self_pay_paused", "end_reason").order_by("pk")
            ),
            "allowances": list(
                Allowance.objects.values_list("pk", "status", "amount_fen", "spent_fen").order_by("pk")
            ),
            "allowance_changes": AllowanceChange.objects.count(),
            "mails": len(mail.outbox),
            "settlements": list(
                Settlement.objects.values_list("pk", "status", "paid_fen", "refunded_fen").order_by("pk")
            ),
            "refunds": list(SettlementRefund.objects.values_list("pk", flat=True).order_by("pk")),
            "vouchers": list(
                Voucher.objects.values_list("pk", "expires_at", "used_at", "refusal").order_by("pk")
            ),
        }

    def assert_unchanged(self, *, codes_too: bool = False) -> None:
        """Nothing changed. The payment codes only with `codes_too`: a settlement refused after its code
        was used leaves the code used (and its refusal recorded), and moves nothing else."""
        ignored = () if codes_too else ("vouchers",)
        now = self._state()
        assert {k: v for k, v in now.items() if k not in ignored} == {
            k: v for k, v in self.state.items() if k not in ignored
        }
