"""The one error family every service raises; the API and the pages render it."""

from __future__ import annotations

from django.utils.functional import Promise

# HTTP status of every error code in API.md; the code decides the status, nothing else.
STATUS_BY_CODE: dict[str, int] = {
    "invalid_input": 400,
    "invalid_id_number": 400,
    "idempotency_key_required": 400,
    "not_authenticated": 401,
    "permission_denied": 403,
    "institution_not_active": 403,
    "not_found": 404,
    "binding_not_found": 404,
    "settlement_not_found": 404,
    "already_bound": 409,
    "family_exclusive": 409,
    "already_paid": 409,
    "idempotency_conflict": 409,
    "idempotency_in_flight": 409,
    # The pages' only: a payment refused because it would move other than its check page showed (the
    # API shows nothing before it pays, so it never meets it).
    "payment_changed": 409,
    "not_insured": 422,
    "not_active": 422,
    "wrong_scheme": 422,
    "self_binding": 422,
    "relation_not_allowed": 422,
    "region_mismatch": 422,
    "pledge_required": 422,
    "name_mismatch": 422,
    "no_premium_rate": 422,
    "outside_collection_period": 422,
    "insufficient_balance": 422,
    "refund_not_allowed": 422,
    "allowance_below_spent": 422,
    "voucher_invalid": 422,
    "no_allowance": 422,
    "insufficient_allowance": 422,
    "category_not_covered": 422,
    "reversal_not_allowed": 422,
    "refund_exceeds_settlement": 422,
    "unbalanced_transaction": 422,
    "rate_limited": 429,
    "server_error": 500,
    "service_unavailable": 503,
}


class ApplicationError(Exception):
    """A refusal of a business rule: a stable code, a translatable message, an optional field."""

    def __init__(
        self, code: str, message: str | Promise, field: str | None = None, *, retry_after: int | None = None
    ) -> None:
        if code not in STATUS_BY_CODE:
            raise ValueError(f"unknown error code {code!r}")
        super().__init__(str(message))
        self.code = code
        self.message = message
        self.field = field
        self.retry_after = retry_after  # seconds, for a refusal that lifts by itself (Retry-After)

    @property
    def status(self) -> int:
        return STATUS_BY_CODE[self.code]

    def as_dict(self) -> dict[str, dict[str, str]]:
        body = {"code": self.code, "message": str(self.message)}
        if self.field:
            body["field"] = self.field
        return {"error": body}
