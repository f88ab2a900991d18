"""Medical's writes: allowances, institutions and their terminals, e-vouchers, settlements."""

from medical.services.allowances import Actor, allowance_release, allowance_set
from medical.services.institutions import institution_terminal_create, institutions_file_import
from medical.services.notify_threshold import allowance_notify_threshold_set
from medical.services.settlements import Terminal, settlement_create, settlement_refund, settlement_reverse
from medical.services.vouchers import IssuedVoucher, voucher_issue

__all__ = [
    "Actor",
    "IssuedVoucher",
    "Terminal",
    "allowance_notify_threshold_set",
    "allowance_release",
    "allowance_set",
    "institution_terminal_create",
    "institutions_file_import",
    "settlement_create",
    "settlement_refund",
    "settlement_reverse",
    "voucher_issue",
]
