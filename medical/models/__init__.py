"""Medical mutual aid: allowances (共济额度), designated institutions and their terminals, e-vouchers,
settlements with their reversals and refunds, and the institutions' daily statements."""

from medical.models.allowances import Allowance, AllowanceChange, AllowanceStatus, ChangeKind, ReleaseReason
from medical.models.institutions import Institution, InstitutionKind, InstitutionStatus, InstitutionTerminal
from medical.models.settlements import (
    COVERED_CATEGORIES,
    Category,
    Settlement,
    SettlementRefund,
    SettlementStatus,
    StatementConfirmation,
    Voucher,
)

__all__ = [
    "COVERED_CATEGORIES",
    "Allowance",
    "AllowanceChange",
    "AllowanceStatus",
    "Category",
    "ChangeKind",
    "Institution",
    "InstitutionKind",
    "InstitutionStatus",
    "InstitutionTerminal",
    "ReleaseReason",
    "Settlement",
    "SettlementRefund",
    "SettlementStatus",
    "StatementConfirmation",
    "Voucher",
]
