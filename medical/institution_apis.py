"""The institution API (API.md, "Institutions"): a terminal settles, reverses, refunds and confirms its
day's statement, for its own institution only; the auditors read every institution's statement."""

from __future__ import annotations

import datetime

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api_fields import error_responses, idempotency_key_from, paginated, yuan
from common.errors import ApplicationError
from common.masking import mask_name
from common.permissions import IsAuditor
from medical import errors
from medical.amounts import settlement_amount_fen_from, statement_amount_fen_from
from medical.models import Institution, Settlement, SettlementRefund, SettlementStatus
from medical.permissions import IsInstitutionTerminal, terminal_of
from medical.services.settlements import Terminal, settlement_create, settlement_refund, settlement_reverse
from medical.services.statements import statement_confirm
from medical.statement_selectors import (
    AuditedStatement,
    Difference,
    Statement,
    institution_statement_list,
    statement_get,
)

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="1–255 characters, per terminal",
)
_DATETIME = serializers.DateTimeField()


def _terminal(request) -> Terminal:
    return Terminal(
        user=request.user,
        institution=_institution(request),
        idempotency_key=idempotency_key_from(request),
    )


def _institution(request) -> Institution:
    terminal = terminal_of(request.user)
    if terminal is None:  # IsInstitutionTerminal lets no such request in
        raise ApplicationError("permission_denied", errors.not_a_terminal_message())
    return terminal.institution


def _date_from(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise errors.invalid_date() from None


def _body(request) -> dict:
    if not isinstance(request.data, dict):
        raise ApplicationError("invalid_input", errors.invalid_body_message())
    return request.data


class SettlementOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    settlement_id = serializers.CharField()
    amount = serializers.CharField()
    paid_from_allowance = serializers.CharField()
    cash_due = serializers.CharField()
    refunded = serializers.CharField()
    category = serializers.CharField()
    beneficiary = serializers.DictField(child=serializers.CharField(), help_text="{name_masked}")
    status = serializers.ChoiceField(choices=SettlementStatus.choices)
    created_at = serializers.DateTimeField()
    reversed_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, settlement: Settlement) -> dict:
        return {
            "id": settlement.pk,
            "settlement_id": settlement.settlement_id,
            "amount": yuan(settlement.amount_fen),
            "paid_from_allowance": yuan(settlement.paid_fen),
            "cash_due": yuan(settlement.cash_due_fen),
            "refunded": yuan(settlement.refunded_fen),
            "category": settlement.category,
            # The institution needs the patient's name to hand over the bill, not his id number.
            "beneficiary": {"name_masked": mask_name(settlement.beneficiary.person.name)},
            "status": settlement.status,
            "created_at": _DATETIME.to_representation(settlement.created_at),
            "reversed_at": _DATETIME.to_representation(settlement.reversed_at)
            if settlement.reversed_at
            else None,
        }


class SettlementCreateApi(APIView):
    permission_classes = [IsInstitutionTerminal]

    class InputSerializer(serializers.Serializer):
        voucher_code = serializers.CharField(help_text="the 20 digits of the patient's payment code")
        settlement_id = serializers.CharField(help_text="the institution's own id of the bill, unique to it")
        amount = serializers.CharField(help_text='the out-of-pocket part in yuan, e.g. "126.50"')
        category = serializers.CharField(help_text="outpatient, inpatient, drugs, devices or consumables")
        allow_partial = serializers.BooleanField(required=False, default=False)

    @extend_schema(
        operation_id="institution_settlement_create",
        request=InputSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: SettlementOutputSerializer, **error_responses(400, 401, 403, 409, 422, 503)},
    )
    def post(self, request):
        """Pays the bill from the patient's allowance with the most left; the code is used by this
        request whatever its answer. A retry with the same settlement_id answers the same settlement."""
        terminal = _terminal(request)
        data = _body(request)
        allow_partial = data.get("allow_partial", False)
        if not isinstance(allow_partial, bool):
            raise ApplicationError(
                "invalid_input", errors.invalid_allow_partial_message(), field="allow_partial"
            )
        settlement = settlement_create(
            terminal=terminal,
            voucher_code=data.get("voucher_code"),  # type: ignore[arg-type]  # checked by the service
            settlement_id=data.get("settlement_id"),  # type: ignore[arg-type]
            amount_fen=settlement_amount_fen_from(data.get("amount")),
            category=data.get("category"),  # type: ignore[arg-type]
            allow_partial=allow_partial,
        )
        return Response(SettlementOutputSerializer(settlement).data, status=status.HTTP_201_CREATED)


class SettlementReverseApi(APIView):
    permission_classes = [IsInstitutionTerminal]

    @extend_schema(
        operation_id="institution_settlement_reverse",
        request=None,
        parameters=[IDEMPOTENCY_HEADER],
        responses={200: SettlementOutputSerializer, **error_responses(400, 401, 403, 404, 409, 422, 503)},
    )
    def post(self, request, settlement_id: str):
        """Reverses (冲正) a settlement of today, whole; a retry answers the reversed settlement."""
        settlement = settlement_reverse(terminal=_terminal(request), settlement_id=settlement_id)
        return Response(SettlementOutputSerializer(settlement).data)


class RefundOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    refund_id = serializers.CharField()
    settlement_id = serializers.CharField()
    amount = serializers.CharField()
    returned_to = serializers.ChoiceField(choices=["allowance", "personal_account"])
    created_at = serializers.DateTimeField()

    def to_representation(self, refund: SettlementRefund) -> dict:
        return {
            "id": refund.pk,
            "refund_id": refund.refund_id,
            "settlement_id": refund.settlement.settlement_id,
            "amount": yuan(refund.amount_fen),
            "returned_to": "allowance" if refund.to_allowance else "personal_account",
            "created_at": _DATETIME.to_representation(refund.created_at),
        }


class SettlementRefundApi(APIView):
    permission_classes = [IsInstitutionTerminal]

    class InputSerializer(serializers.Serializer):
        refund_id = serializers.CharField(help_text="the institution's own id of the refund, unique to it")
        amount = serializers.CharField(help_text="yuan, at most what is left of the settlement")

    @extend_schema(
        operation_id="institution_settlement_refund",
        request=InputSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: RefundOutputSerializer, **error_responses(400, 401, 403, 404, 409, 422, 503)},
    )
    def post(self, request, settlement_id: str):
        """Gives part of a settlement back (returned items): into the allowance while it is active, else
        into the authorizer's personal account."""
        terminal = _terminal(request)
        data = _body(request)
        refund = settlement_refund(
            terminal=terminal,
            settlement_id=settlement_id,
            refund_id=data.get("refund_id"),  # type: ignore[arg-type]  # checked by the service
            amount_fen=settlement_amount_fen_from(data.get("amount")),
        )
        return Response(RefundOutputSerializer(refund).data, status=status.HTTP_201_CREATED)


def _totals(totals) -> dict:
    return {"count": totals.count, "amount": yuan(totals.amount_fen)}


def _statement(statement: Statement) -> dict:
    return {
        "date": statement.date.isoformat(),
        "settled": _totals(statement.settled),
        "reversed": _totals(statement.reversed),
        "refunded": _totals(statement.refunded),
        "net": yuan(statement.net_fen),
    }


def _differences(differences: list[Difference]) -> list[dict]:
    def shown(difference: Difference, value: int) -> int | str:
        return value if difference.field == "count" else yuan(value)

    return [{"field": d.field, "ours": shown(d, d.ours), "theirs": shown(d, d.theirs)} for d in differences]


class TotalsSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    amount = serializers.CharField()


class StatementSerializer(serializers.Serializer):
    """The schema of a statement (the answers are built by `_statement`)."""

    date = serializers.DateField()
    settled = TotalsSerializer()
    reversed = TotalsSerializer()
    refunded = TotalsSerializer()
    net = serializers.CharField()


class ConfirmationSerializer(serializers.Serializer):
    matched = serializers.BooleanField()
    differences = serializers.ListField(child=serializers.DictField(), help_text="{field, ours, theirs}")


class AuditedStatementSerializer(StatementSerializer):
    institution = serializers.DictField(help_text="{code, name, kind, region_code, status}")
    state = serializers.ChoiceField(choices=["mismatched", "unconfirmed", "matched"])
    confirmation = serializers.DictField(allow_null=True, help_text="{count, amount, confirmed_at}")
    differences = serializers.ListField(child=serializers.DictField())


class StatementApi(APIView):
    permission_classes = [IsInstitutionTerminal]

    @extend_schema(
        operation_id="institution_statement",
        responses={200: StatementSerializer, **error_responses(400, 401, 403)},
        description=(
            "settled: the day's settlements that stand; reversed: those of the day reversed; refunded: "
            "refunds made that day; net = settled − refunded."
        ),
    )
    def get(self, request, date: str):
        statement = statement_get(institution=_institution(request), date=_date_from(date))
        return Response(_statement(statement))


class StatementConfirmApi(APIView):
    permission_classes = [IsInstitutionTerminal]

    class InputSerializer(serializers.Serializer):
        count = serializers.IntegerField(
            help_text="the institution's count of the day's standing settlements"
        )
        amount = serializers.CharField(help_text="the institution's net of the day in yuan")

    @extend_schema(
        operation_id="institution_statement_confirm",
        request=InputSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={200: ConfirmationSerializer, **error_responses(400, 401, 403)},
    )
    def post(self, request, date: str):
        """Compares the institution's own totals with ours (count with settled.count, amount with net);
        the latest confirmation of the day is the one the auditors see. A retry under the same key
        answers as the first time; the same key for other figures is idempotency_conflict."""
        key = idempotency_key_from(request)
        day = _date_from(date)
        data = _body(request)
        count = data.get("count")
        if isinstance(count, bool) or not isinstance(count, int):
            raise errors.invalid_statement_count()
        confirmation, differences = statement_confirm(
            user=request.user,
            institution=_institution(request),
            date=day,
            count=count,
            amount_fen=statement_amount_fen_from(data.get("amount")),
            idempotency_key=key,
        )
        return Response({"matched": confirmation.matched, "differences": _differences(differences)})


class InstitutionStatementListApi(APIView):
    permission_classes = [IsAuditor]

    @extend_schema(
        operation_id="admin_institution_statements",
        parameters=[OpenApiParameter("date", str, required=True, description="YYYY-MM-DD")],
        responses={
            200: paginated("InstitutionStatementPage", AuditedStatementSerializer(many=True)),
            **error_responses(400, 401, 403),
        },
    )
    def get(self, request):
        """Every institution's statement of the day and its confirmation: mismatches first, then the
        unconfirmed, then the matched."""
        day = _date_from(request.query_params.get("date", ""))
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(institution_statement_list(date=day), request, self)  # type: ignore[arg-type]
        return paginator.get_paginated_response([_audited(item) for item in page or []])


def _audited(item: AuditedStatement) -> dict:
    institution = item.statement.institution
    confirmation = item.confirmation
    return {
        "institution": {
            "code": institution.code,
            "name": institution.name,
            "kind": institution.kind,
            "region_code": institution.region_code,
            "status": institution.status,
        },
        **_statement(item.statement),
        "state": item.state,
        "confirmation": {
            "count": confirmation.their_count,
            "amount": yuan(confirmation.their_amount_fen),
            "confirmed_at": _DATETIME.to_representation(confirmation.confirmed_at),
        }
        if confirmation
        else None,
        "differences": _differences(item.differences),
    }
