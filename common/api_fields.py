"""Serializer fields and helpers shared by the API: ID numbers, money, the error shape, idempotency keys."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

from common.errors import ApplicationError
from common.id_numbers import normalize_id_number, parse_id_number
from common.masking import mask_id_number
from common.money import fen_to_yuan

MAX_IDEMPOTENCY_KEY = 255


class IdNumberField(serializers.CharField):
    default_error_messages = {"invalid_id_number": _("This is not a valid ID number.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 18)  # of the normalised number: the validators run after
        kwargs.setdefault("min_length", 1)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        # Spaces or hyphens between the groups, full-width digits, a lower-case x: normalised, not refused.
        value = normalize_id_number(super().to_internal_value(data))
        try:
            parse_id_number(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages[0], code="invalid_id_number") from None
        return value


class StrictBooleanField(serializers.BooleanField):
    """JSON's true or false only: DRF's own also takes "yes", "on", 1 and the like, and a pledge or a
    switch a caller meant must not be guessed from a string."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        self.fail("invalid", input=data)


class YearField(serializers.IntegerField):
    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 2000)
        kwargs.setdefault("max_value", 2100)
        super().__init__(**kwargs)


class DateRangeSerializer(serializers.Serializer):
    """`?from=&to=`: local dates (YYYY-MM-DD), both optional, both included; a refusal names the
    parameter as the caller sent it."""

    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if isinstance(exc.detail, dict):
                exc.detail = {_PARAMETER.get(name, name): errors for name, errors in exc.detail.items()}
            raise

    def validate(self, attrs):
        if attrs.get("date_from") and attrs.get("date_to") and attrs["date_from"] > attrs["date_to"]:
            raise serializers.ValidationError({"from": _("The start date is after the end date.")})
        return attrs

    @classmethod
    def filters_from(cls, request) -> dict:
        params = {k: v for k, v in request.query_params.items() if v}
        params = {("date_" + k if k in _PARAMETER.values() else k): v for k, v in params.items()}
        serializer = cls(data=params)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


_PARAMETER = {"date_from": "from", "date_to": "to"}


def yuan(fen: int) -> str:
    return str(fen_to_yuan(fen))


def person_ref(insuree) -> dict[str, str]:
    """PersonRefSerializer's output, without building a serializer (hot paths)."""
    return {"name": insuree.person.name, "id_number_masked": mask_id_number(insuree.person.id_number)}


class PersonRefSerializer(serializers.Serializer):
    """A person as shown to the other side of a binding or payment: masked ID number."""

    name = serializers.CharField(source="person.name")
    id_number_masked = serializers.SerializerMethodField()

    def get_id_number_masked(self, insuree) -> str:
        return mask_id_number(insuree.person.id_number)


ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "error": inline_serializer(
            name="ErrorBody",
            fields={
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "field": serializers.CharField(required=False),
            },
        )
    },
)


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """The documented refusals of an endpoint, all in the one error shape."""
    descriptions = {
        400: "invalid_input, invalid_id_number, idempotency_key_required",
        401: "not_authenticated",
        403: "permission_denied",
        404: "not_found, binding_not_found",
        409: "already_bound, family_exclusive, already_paid, idempotency_conflict, idempotency_in_flight",
        422: "a business rule refused the request (see API.md)",
        429: "rate_limited",
        503: "service_unavailable (the database is briefly out of reach; retry after Retry-After)",
    }
    return {status: OpenApiResponse(ErrorSerializer, description=descriptions[status]) for status in statuses}


def idempotency_key_from(request) -> str:
    key = request.headers.get("Idempotency-Key", "").strip()
    # A control character (a NUL) is no key: PostgreSQL could not even store it.
    if not key or len(key) > MAX_IDEMPOTENCY_KEY or not key.isprintable():
        raise ApplicationError(
            "idempotency_key_required",
            _("Every payment request needs an Idempotency-Key header of 1 to 255 characters."),
            field="Idempotency-Key",
        )
    return key


def paginated(name: str, item: serializers.Serializer, **extra: serializers.Field) -> serializers.Serializer:
    """The page shape of DRF's PageNumberPagination, for the schema of an APIView's list."""
    return inline_serializer(
        name=name,
        fields={
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": item,
            **extra,
        },
    )
