"""The invariants of DESIGN.md, checked after every scenario."""

from django.db.models import Count, Q

from ledger.models import Account
from ledger.selectors import accounts_out_of_balance, transactions_not_balanced
from payments.models import Payment, PaymentStatus


def assert_money_invariants() -> None:
    assert not Account.objects.filter(kind="personal", balance_fen__lt=0).exists()
    assert not Account.objects.filter(kind="fund", balance_fen__lt=0).exists()
    assert transactions_not_balanced() == []
    assert accounts_out_of_balance() == []
    doubled = (
        Payment.objects.values("beneficiary", "year")
        .annotate(settled=Count("pk", filter=Q(status=PaymentStatus.SETTLED)))
        .filter(settled__gt=1)
    )
    assert not doubled.exists()
