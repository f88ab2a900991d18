"""The allowance API (API.md, "Allowances (共济额度)"), and `GET me/` with the held part of a balance."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api_fields import (
    PersonRefSerializer,
    error_responses,
    idempotency_key_from,
    paginated,
    person_ref,
    yuan,
)
from common.permissions import IsInsuree, person_of
from common.throttling import AtomicUserRateThrottle
from insurees.apis import MeApi
from medical import errors
from medical.amounts import amount_fen_from
from medical.models import Allowance, SettlementStatus
from medical.selectors import account_holds_for, allowance_list_for_person
from medical.services import Actor, allowance_release, allowance_set
from medical.services.vouchers import voucher_issue
from medical.settlement_selectors import settlement_list_for_person

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER, required=True, description="1–255 characters, per caller"
)
_DATETIME = serializers.DateTimeField()


class AllowanceOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    binding_id = serializers.IntegerField()
    authorizer = PersonRefSerializer()
    beneficiary = PersonRefSerializer()
    amount = serializers.CharField()
    spent = serializers.CharField()
    remaining = serializers.CharField()
    status = serializers.ChoiceField(choices=["active", "released"])
    created_at = serializers.DateTimeField()
    released_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, allowance: Allowance) -> dict:
        return {
            "id": allowance.pk,
            "binding_id": allowance.binding_id,
            "authorizer": person_ref(allowance.authorizer),
            "beneficiary": person_ref(allowance.beneficiary),
            "amount": yuan(allowance.amount_fen),
            "spent": yuan(allowance.spent_fen),
            # A released allowance has nothing left to spend: its unspent part went back.
            "remaining": yuan(allowance.remaining_fen if allowance.status == "active" else 0),
            "status": allowance.status,
            "created_at": _DATETIME.to_representation(allowance.created_at),
            "released_at": _DATETIME.to_representation(allowance.released_at)
            if allowance.released_at
            else None,
        }


class AllowanceApi(APIView):
    """The allowance of one binding, as its authorizer sets or releases it."""

    permission_classes = [IsInsuree]

    class InputSerializer(serializers.Serializer):
        amount = serializers.CharField(help_text='yuan, e.g. "500.00"')

    @extend_schema(
        operation_id="binding_allowance_set",
        request=InputSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={200: AllowanceOutputSerializer, **error_responses(400, 401, 403, 404, 409, 422, 503)},
    )
    def put(self, request, binding_id: int):
        """Sets, raises or lowers the allowance; the difference moves between it and the personal account."""
        key = idempotency_key_from(request)
        if not isinstance(request.data, dict) or "amount" not in request.data:
            raise errors.invalid_amount()
        amount_fen = amount_fen_from(request.data["amount"])
        allowance = allowance_set(
            authorizer=person_of(request.user),
            binding_id=binding_id,
            amount_fen=amount_fen,
            actor=Actor(user=request.user, idempotency_key=key),
        )
        return Response(AllowanceOutputSerializer(allowance).data)

    @extend_schema(
        operation_id="binding_allowance_release",
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                required=False,
                description="optional: a retry with it answers 204 again",
            )
        ],
        responses={204: None, **error_responses(401, 403, 404, 409, 503)},
    )
    def delete(self, request, binding_id: int):
        """Releases the allowance: the unspent part is back in the personal account at once."""
        key = request.headers.get("Idempotency-Key", "").strip()
        if key:
            key = idempotency_key_from(request)
        allowance_release(
            authorizer=person_of(request.user),
            binding_id=binding_id,
            actor=Actor(user=request.user, idempotency_key=key),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class AllowanceListApi(APIView):
    permission_classes = [IsInsuree]

    @extend_schema(
        operation_id="allowances_list",
        responses={
            200: paginated("AllowancePage", AllowanceOutputSerializer(many=True)),
            **error_responses(401, 403),
        },
    )
    def get(self, request):
        """The caller's allowances, as authorizer and as beneficiary, newest first (released ones too)."""
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(
            allowance_list_for_person(person=person_of(request.user)), request, self
        )
        return paginator.get_paginated_response(AllowanceOutputSerializer(page, many=True).data)


class MeWithAllowancesApi(MeApi):
    """`GET me/`: an employee's balance is his total; `available_balance` is what he can spend and
    `held` what his allowances hold of it."""

    class OutputSerializer(MeApi.OutputSerializer):
        class InsuranceSerializer(MeApi.OutputSerializer.InsuranceSerializer):
            available_balance = serializers.CharField(required=False)
            held = serializers.CharField(required=False)

        insurances = InsuranceSerializer(many=True)

    @extend_schema(operation_id="me_retrieve", responses={200: OutputSerializer, **error_responses(401)})
    def get(self, request):
        return super().get(request)

    def insurance_item(self, insuree) -> dict:
        item = super().insurance_item(insuree)
        if insuree.account is not None:
            available = insuree.account.balance_fen
            held = account_holds_for(account_ids=[insuree.account_id]).get(insuree.account_id, 0)
            item.update(balance=yuan(available + held), available_balance=yuan(available), held=yuan(held))
        return item


class VoucherThrottle(AtomicUserRateThrottle):
    scope = "voucher"


class VoucherCreateApi(APIView):
    """`POST vouchers/`: a one-time payment code for the caller, a beneficiary with an allowance."""

    permission_classes = [IsInsuree]
    throttle_classes = [VoucherThrottle]

    class OutputSerializer(serializers.Serializer):
        code = serializers.CharField(help_text="20 digits, valid once, for about 60 seconds")
        expires_at = serializers.DateTimeField()

    @extend_schema(
        operation_id="voucher_create",
        request=None,
        responses={201: OutputSerializer, **error_responses(401, 403, 422, 429, 503)},
    )
    def post(self, request):
        """A new code; the caller's earlier unused codes stop working. no_allowance without an active
        allowance with money left."""
        voucher = voucher_issue(person=person_of(request.user))
        response = Response(
            {"code": voucher.code, "expires_at": _DATETIME.to_representation(voucher.expires_at)},
            status=status.HTTP_201_CREATED,
        )
        response["Cache-Control"] = "no-store"
        return response


class SettlementListApi(APIView):
    """`GET settlements/`: the caller's settlements, as beneficiary his own, as authorizer those paid
    from his allowances: where, on what and how much, never what was bought."""

    permission_classes = [IsInsuree]

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        institution = serializers.DictField(child=serializers.CharField(), help_text="{name, kind}")
        category = serializers.CharField()
        amount = serializers.CharField(help_text="what the allowance paid")
        refunded = serializers.CharField()
        status = serializers.ChoiceField(choices=SettlementStatus.choices)
        authorizer = PersonRefSerializer()
        beneficiary = PersonRefSerializer()
        created_at = serializers.DateTimeField()

        def to_representation(self, settlement) -> dict:
            return {
                "id": settlement.pk,
                "institution": {"name": settlement.institution.name, "kind": settlement.institution.kind},
                "category": settlement.category,
                "amount": yuan(settlement.paid_fen),
                "refunded": yuan(settlement.refunded_fen),
                "status": settlement.status,
                "authorizer": person_ref(settlement.authorizer),
                "beneficiary": person_ref(settlement.beneficiary),
                "created_at": _DATETIME.to_representation(settlement.created_at),
            }

    @extend_schema(
        operation_id="settlements_list",
        responses={
            200: paginated("SettlementPage", OutputSerializer(many=True)),
            **error_responses(401, 403),
        },
    )
    def get(self, request):
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(
            settlement_list_for_person(person=person_of(request.user)), request, self
        )
        return paginator.get_paginated_response(self.OutputSerializer(page, many=True).data)
