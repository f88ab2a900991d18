"""`GET expenditures/`: the caller's expenditure records (支出记录), composed from payments and medical
(portal.expenditures)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.views import APIView

from common.api_fields import (
    DateRangeSerializer,
    PersonRefSerializer,
    error_responses,
    paginated,
    person_ref,
    yuan,
)
from common.permissions import IsInsuree, person_of
from medical.movement_selectors import AllowanceMovement
from payments.apis import PaymentOutputSerializer
from portal.expenditures import ExpenditureRecord, expenditure_records_for_person

_DATETIME = serializers.DateTimeField()


class AllowanceRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    binding_id = serializers.IntegerField()
    beneficiary = PersonRefSerializer()


class SettlementRefSerializer(serializers.Serializer):
    settlement_id = serializers.CharField()
    institution = serializers.DictField(child=serializers.CharField(), help_text="{code, name}")
    category = serializers.CharField()


class ExpenditureSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=["debit", "refund", "allowance_hold", "allowance_release", "settlement_return"]
    )
    at = serializers.DateTimeField()
    amount = serializers.CharField(help_text="what the personal account moved: negative when it paid")
    payment = PaymentOutputSerializer(allow_null=True, help_text="a debit's or refund's")
    allowance = AllowanceRefSerializer(allow_null=True, help_text="a hold's, release's or return's")
    settlement = SettlementRefSerializer(allow_null=True, help_text="a return's: where it came back from")

    def to_representation(self, record: ExpenditureRecord) -> dict:
        line = {"kind": str(record.kind), "at": _DATETIME.to_representation(record.at)}
        line["amount"] = yuan(record.amount_fen)
        if not isinstance(record, AllowanceMovement):
            payment = PaymentOutputSerializer(record.payment).data
            return {**line, "payment": payment, "allowance": None, "settlement": None}
        allowance, settlement = record.allowance, record.settlement
        return {
            **line,
            "payment": None,
            "allowance": {
                "id": allowance.pk,
                "binding_id": allowance.binding_id,
                "beneficiary": person_ref(allowance.beneficiary),
            },
            "settlement": {
                "settlement_id": settlement.settlement_id,
                "institution": {"code": settlement.institution.code, "name": settlement.institution.name},
                "category": settlement.category,
            }
            if settlement
            else None,
        }


class ExpenditureListApi(APIView):
    """The caller's personal-account records (支出记录), newest first: premiums paid and refunded,
    allowances held and released, and settlements' money paid back into the account."""

    permission_classes = [IsInsuree]

    @extend_schema(
        parameters=[OpenApiParameter("from", str), OpenApiParameter("to", str)],
        responses={
            200: paginated("ExpenditurePage", ExpenditureSerializer(many=True)),
            **error_responses(400, 401, 403),
        },
    )
    def get(self, request):
        days = DateRangeSerializer.filters_from(request)
        records = expenditure_records_for_person(person=person_of(request.user), **days)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(records, request, self)  # type: ignore[arg-type]
        return paginator.get_paginated_response(ExpenditureSerializer(page, many=True).data)
