"""Double-entry ledger: accounts, balanced transactions, append-only entries.

It knows nothing of insurance: an account is a code, a kind and a balance.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class AccountKind(models.TextChoices):
    PERSONAL = "personal", _("Personal account")
    FUND = "fund", _("Fund account")
    # Where money enters the books from outside (opening balances, contributions); it goes negative.
    EXTERNAL = "external", _("External source")
    # An allowance's money set aside from a personal account (medical): it spends only from here.
    HOLD = "hold", _("Held for an allowance")
    # What the fund owes an institution for its settlements (medical); a reversal or refund takes back
    # only what it holds.
    PAYABLE = "payable", _("Payable to an institution")


class Account(models.Model):
    code = models.CharField(_("code"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=AccountKind.choices)
    name = models.CharField(_("name"), max_length=128, blank=True)
    balance_fen = models.BigIntegerField(_("balance (fen)"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=AccountKind.EXTERNAL) | Q(balance_fen__gte=0),
                name="balance_fen_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class Transaction(models.Model):
    memo = models.CharField(_("memo"), max_length=255, blank=True)
    reference = models.CharField(_("reference"), max_length=64, blank=True, db_index=True)
    # A mistake is corrected by a reversing transaction, never by editing; one reversal at most.
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("ledger transaction")
        verbose_name_plural = _("ledger transactions")

    def __str__(self) -> str:
        return f"T{self.pk} {self.memo}"


class Entry(models.Model):
    # Indexed as the first column of entry_transaction_account.
    transaction = models.ForeignKey(
        Transaction, on_delete=models.PROTECT, related_name="entries", db_index=False
    )
    # Indexed as the first column of entry_account_time.
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries", db_index=False)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [models.CheckConstraint(condition=~Q(amount_fen=0), name="entry_amount_fen_non_zero")]
        indexes = [
            models.Index(fields=["account", "created_at"], name="entry_account_time"),
            # Whether an account is on a transaction's side, without reading its other entries: an
            # opening transaction credits a hundred accounts (insurees.services.personal_accounts_funded).
            models.Index(fields=["transaction", "account"], name="entry_transaction_account"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.amount_fen}"
