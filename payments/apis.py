from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api_fields import (
    IdNumberField,
    PersonRefSerializer,
    YearField,
    error_responses,
    idempotency_key_from,
    paginated,
    person_ref,
    yuan,
)
from common.errors import ApplicationError
from common.permissions import IsInsuree, person_of
from insurees.models import PremiumKind, Scheme
from insurees.regions import region_name
from insurees.selectors import insuree_get_by_id_number
from mutual_aid import errors as binding_errors
from mutual_aid.models import BindingStatus
from mutual_aid.selectors import binding_list_for_person
from payments.models import Payment
from payments.receipts import receipt_pdf
from payments.selectors import (
    payment_get_for_person,
    payment_list_for_person,
    premium_due_for,
)
from payments.services import (
    Actor,
    payment_create_for_self,
    payments_create_for_relatives,
)

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER, required=True, description="1–255 characters, per caller"
)
KIND_DESCRIPTION = "the premium kind: resident_medical (the default) or long_term_care"
KIND_PARAMETER = OpenApiParameter(
    "kind", str, OpenApiParameter.QUERY, enum=PremiumKind.values, description=KIND_DESCRIPTION
)


class PremiumKindField(serializers.ChoiceField):
    """The optional premium kind of a request: the resident medical premium unless it says otherwise."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("default", PremiumKind.RESIDENT_MEDICAL)
        kwargs.setdefault("help_text", KIND_DESCRIPTION)
        # DRF formats the message when it refuses, so it is in the request's language.
        kwargs.setdefault(
            "error_messages",
            {
                "invalid_choice": _lazy(
                    "“{input}” is not a premium kind: choose resident_medical or long_term_care."
                )
            },
        )
        super().__init__(choices=PremiumKind.choices, **kwargs)

    def to_internal_value(self, data) -> PremiumKind:
        return PremiumKind(super().to_internal_value(data))


class PaymentOutputSerializer(serializers.ModelSerializer):
    amount = serializers.SerializerMethodField()
    beneficiary = PersonRefSerializer()
    authorizer = PersonRefSerializer()
    enrollment_synced = serializers.BooleanField()

    class Meta:
        model = Payment
        fields = [
            "id",
            "reference",
            "year",
            "kind",
            "amount",
            "beneficiary",
            "authorizer",
            "channel",
            "status",
            "enrollment_synced",
            "created_at",
        ]

    def get_amount(self, payment) -> str:
        return yuan(payment.amount_fen)

    def to_representation(self, payment) -> dict:
        """The declared fields, written out: a ModelSerializer rebuilds its fields from the model for
        every instance, about 0.7 ms per payment answered. The declared fields still describe the
        schema, and a test holds the two to the same output."""
        return {
            "id": payment.pk,
            "reference": payment.reference,
            "year": payment.year,
            "kind": payment.kind,
            "amount": yuan(payment.amount_fen),
            "beneficiary": person_ref(payment.beneficiary),
            "authorizer": person_ref(payment.authorizer),
            "channel": payment.channel,
            "status": payment.status,
            "enrollment_synced": payment.enrollment_synced,
            "created_at": _DATETIME.to_representation(payment.created_at),
        }


_DATETIME = serializers.DateTimeField()


class PremiumApi(APIView):
    permission_classes = [IsInsuree]

    class OutputSerializer(serializers.Serializer):
        year = serializers.IntegerField()
        kind = serializers.ChoiceField(choices=PremiumKind.choices)
        region_code = serializers.CharField()
        region_name = serializers.CharField()
        amount = serializers.CharField(allow_null=True)
        collection_period = inline_serializer(
            "CollectionPeriod",
            {"start": serializers.DateField(), "end": serializers.DateField()},
            allow_null=True,
        )
        paid = serializers.BooleanField()

    class RelativeSerializer(serializers.Serializer):
        beneficiary_id_number = IdNumberField()
        kind = PremiumKindField()

    @extend_schema(
        parameters=[KIND_PARAMETER],
        responses={200: OutputSerializer, **error_responses(400, 401, 403, 404, 422)},
    )
    def get(self, request, year: int):
        """The caller's own premium for the year, of the kind asked for (the resident one by default)."""
        if "beneficiary_id_number" in request.query_params:
            # An ID number is sensitive personal information (PIPL art. 28): never read from an address,
            # where proxies and logs keep it. A relative's premium is asked for with POST.
            raise ApplicationError(
                "invalid_input",
                _("Send a relative's ID number in the body of a POST, never in the address."),
                field="beneficiary_id_number",
            )
        person = person_of(request.user)
        query = _KindQuerySerializer(data={k: v for k, v in request.query_params.items() if k == "kind"})
        query.is_valid(raise_exception=True)
        return self._premium(
            person=person, year=year, id_number=person.id_number, kind=query.validated_data["kind"]
        )

    @extend_schema(
        request=RelativeSerializer,
        responses={200: OutputSerializer, **error_responses(400, 401, 403, 404, 422)},
    )
    def post(self, request, year: int):
        """A bound relative's premium for the year, the ID number (and the kind) in the body."""
        body = self.RelativeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._premium(
            person=person_of(request.user),
            year=year,
            id_number=body.validated_data["beneficiary_id_number"],
            kind=body.validated_data["kind"],
        )

    def _premium(self, *, person, year: int, id_number: str, kind: PremiumKind) -> Response:
        query = _QuerySerializer(data={"year": year})
        query.is_valid(raise_exception=True)
        if id_number != person.id_number and not (
            binding_list_for_person(person=person)
            .filter(
                authorizer__person=person,
                beneficiary__person__id_number=id_number,
                status=BindingStatus.ACTIVE,
            )
            .exists()
        ):
            # Another person's premium is only for an authorizer bound to him now: to anyone else, a
            # former authorizer too, his ID number answers as if there were no such person (no roster or
            # payment status leaks).
            raise binding_errors.binding_not_found()
        beneficiary = insuree_get_by_id_number(id_number=id_number, scheme=Scheme.RESIDENT)
        [due] = premium_due_for(beneficiary=beneficiary, years=[query.validated_data["year"]], kind=kind)
        rate = due.rate
        return Response(
            {
                "year": due.year,
                "kind": due.kind,
                "region_code": beneficiary.region_code,
                "region_name": region_name(beneficiary.region_code),
                "amount": yuan(rate.amount_fen) if rate else None,
                "collection_period": {"start": rate.collection_start, "end": rate.collection_end}
                if rate
                else None,
                "paid": due.paid,
            }
        )


class _QuerySerializer(serializers.Serializer):
    year = YearField()


class _KindQuerySerializer(serializers.Serializer):
    kind = PremiumKindField()


def _actor(request) -> Actor:
    return Actor(user=request.user, idempotency_key=idempotency_key_from(request))


class PaymentListCreateApi(APIView):
    """The authorizer pays a bound relative's premium; GET lists the caller's payments."""

    permission_classes = [IsInsuree]

    class InputSerializer(serializers.Serializer):
        beneficiary_id_number = IdNumberField()
        year = YearField()
        kind = PremiumKindField()

    @extend_schema(
        operation_id="payments_list",
        responses={
            200: paginated("PaymentPage", PaymentOutputSerializer(many=True)),
            **error_responses(401, 403),
        },
    )
    def get(self, request):
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(
            payment_list_for_person(person=person_of(request.user)), request, self
        )
        return paginator.get_paginated_response(PaymentOutputSerializer(page, many=True).data)

    @extend_schema(
        request=InputSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: PaymentOutputSerializer, **error_responses(400, 401, 403, 404, 409, 422)},
    )
    def post(self, request):
        actor = _actor(request)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        [payment] = payments_create_for_relatives(
            authorizer=person_of(request.user),
            relative_id_numbers=[data["beneficiary_id_number"]],
            year=data["year"],
            actor=actor,
            kind=data["kind"],
        )
        return Response(PaymentOutputSerializer(payment).data, status=status.HTTP_201_CREATED)


class PaymentSelfApi(APIView):
    """The relative pays his own premium from the richest bound personal account."""

    permission_classes = [IsInsuree]

    class InputSerializer(serializers.Serializer):
        year = YearField()
        kind = PremiumKindField()

    @extend_schema(
        request=InputSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: PaymentOutputSerializer, **error_responses(400, 401, 403, 404, 409, 422)},
    )
    def post(self, request):
        actor = _actor(request)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        payment = payment_create_for_self(
            beneficiary=person_of(request.user),
            year=serializer.validated_data["year"],
            actor=actor,
            kind=serializer.validated_data["kind"],
        )
        return Response(PaymentOutputSerializer(payment).data, status=status.HTTP_201_CREATED)


class PaymentFamilyApi(APIView):
    """The authorizer pays several relatives at once: all of them, or none."""

    permission_classes = [IsInsuree]

    class InputSerializer(serializers.Serializer):
        beneficiary_id_numbers = serializers.ListField(child=IdNumberField(), min_length=1, max_length=20)
        year = YearField()
        kind = PremiumKindField()

    @extend_schema(
        request=InputSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: PaymentOutputSerializer(many=True), **error_responses(400, 401, 403, 404, 409, 422)},
    )
    def post(self, request):
        actor = _actor(request)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        payments = payments_create_for_relatives(
            authorizer=person_of(request.user),
            relative_id_numbers=data["beneficiary_id_numbers"],
            year=data["year"],
            actor=actor,
            kind=data["kind"],
        )
        return Response(PaymentOutputSerializer(payments, many=True).data, status=status.HTTP_201_CREATED)


class PaymentDetailApi(APIView):
    permission_classes = [IsInsuree]

    @extend_schema(responses={200: PaymentOutputSerializer, **error_responses(401, 403, 404)})
    def get(self, request, payment_id: int):
        payment = payment_get_for_person(person=person_of(request.user), payment_id=payment_id)
        return Response(PaymentOutputSerializer(payment).data)


class PaymentReceiptApi(APIView):
    permission_classes = [IsInsuree]

    @extend_schema(responses={(200, "application/pdf"): bytes, **error_responses(401, 403, 404)})
    def get(self, request, payment_id: int):
        payment = payment_get_for_person(person=person_of(request.user), payment_id=payment_id)
        response = HttpResponse(receipt_pdf(payment=payment, request=request), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="receipt-{payment.reference}.pdf"'
        return response
