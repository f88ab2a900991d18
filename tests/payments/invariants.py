"""The invariants of DESIGN.md, checked after every scenario, and what a refusal must leave alone."""

from django.core import mail
from django.db.models import Count, Q, Sum

from insurees.models import Enrollment
from ledger.models import Account, Entry, Transaction
from ledger.selectors import accounts_out_of_balance, transactions_not_balanced
from medical.models import Allowance, AllowanceChange
from mutual_aid.models import Binding
from notices.models import Notice
from payments.models import IdempotencyKey, OutboxMessage, Payment, PaymentStatus


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
    # At most one settled payment per beneficiary and year.
    doubled = (
        Payment.objects.values("beneficiary", "year")
        .annotate(settled=Count("pk", filter=Q(status=PaymentStatus.SETTLED)))
        .filter(settled__gt=1)
    )
    assert not doubled.exists()
    # A paid enrollment is paid by a settled payment of its own beneficiary and year.
    for enrollment in Enrollment.objects.filter(paid=True):
        payment = Payment.objects.get(pk=enrollment.payment_id)
        assert (payment.status, payment.beneficiary_id, payment.year) == (
            PaymentStatus.SETTLED,
            enrollment.insuree_id,
            enrollment.year,
        )
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
        }

    def assert_unchanged(self) -> None:
        assert self._state() == self.state
