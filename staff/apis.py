import csv
import datetime
import io
from collections.abc import Callable
from contextlib import closing

from django.conf import settings
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api_fields import (
    DateRangeSerializer,
    IdNumberField,
    YearField,
    error_responses,
    idempotency_key_from,
    paginated,
    yuan,
)
from common.errors import ApplicationError
from common.masking import mask_name
from common.permissions import IsAuditor, IsCounterStaff, IsCounterSupervisor
from insurees.models import PremiumKind
from insurees.regions import region_name
from medical.amounts import amount_fen_from
from medical.errors import invalid_amount
from medical.models import Allowance, AllowanceStatus
from medical.selectors import account_holds_for
from mutual_aid.models import Relation
from mutual_aid.selectors import binding_get
from payments.apis import PaymentOutputSerializer, PremiumKindField
from payments.models import Payment, PaymentChannel, PaymentStatus, RefundReason
from payments.selectors import (
    REVIEW_COLUMNS,
    payment_get,
    payment_list_for_review,
    payment_review_rows,
    payment_review_totals,
    payment_stats,
)
from staff.selectors import person_detail, reconcile, rows_streamed
from staff.services import (
    counter_allowance_release,
    counter_allowance_set,
    counter_binding_create,
    counter_payment_create,
    counter_payment_refund,
    counter_person_lookup,
)


def counter_of(request) -> str:
    """The counter the header names, "" (refused as no counter) for none or one with a control
    character (a NUL, which PostgreSQL could not store)."""
    counter = request.META.get(settings.GONGJI_COUNTER_HEADER, "")[:32]
    return counter if counter.isprintable() else ""


# Every counter action is recorded with its counter: without one it is refused (invalid_input).
COUNTER_PARAMETER = OpenApiParameter(
    "X-Counter-Id", str, OpenApiParameter.HEADER, required=True, description="the service counter's number"
)


def staff_allowance(allowance: Allowance) -> dict:
    """An allowance as the counter sees it: both sides unmasked, as in the rest of the lookup."""
    return {
        "id": allowance.pk,
        "binding_id": allowance.binding_id,
        "authorizer": {
            "name": allowance.authorizer.person.name,
            "id_number": allowance.authorizer.person.id_number,
        },
        "beneficiary": {
            "name": allowance.beneficiary.person.name,
            "id_number": allowance.beneficiary.person.id_number,
        },
        "amount": yuan(allowance.amount_fen),
        "spent": yuan(allowance.spent_fen),
        # A released allowance has nothing left to spend: its unspent part went back.
        "remaining": yuan(allowance.remaining_fen if allowance.status == AllowanceStatus.ACTIVE else 0),
        "status": allowance.status,
        "created_at": allowance.created_at,
        "released_at": allowance.released_at,
    }


def staff_insurance(insuree, holds: dict[int, int]) -> dict:
    """An insurance; an employee's balance is his total, as `GET me/` gives it, with what his
    allowances hold of it and what he can still spend."""
    item = {"scheme": insuree.scheme, "region_code": insuree.region_code, "status": insuree.status}
    if insuree.account:
        available = insuree.account.balance_fen
        held = holds.get(insuree.account_id, 0)
        item.update(balance=yuan(available + held), available_balance=yuan(available), held=yuan(held))
    return item


class StaffPersonApi(APIView):
    """The person, unmasked, with insurances, bindings, enrollments, payments and allowances (as
    authorizer and as beneficiary, released ones too); the lookup is logged."""

    permission_classes = [IsCounterStaff]

    class LookupSerializer(serializers.Serializer):
        id_number = IdNumberField()

    # A POST, the ID number in the body: never in an address, where proxies and logs keep it (an ID
    # number is sensitive personal information, PIPL art. 28); and every lookup writes an audit record.
    @extend_schema(
        request=LookupSerializer,
        parameters=[COUNTER_PARAMETER],
        responses={200: OpenApiResponse(description="the person"), **error_responses(400, 401, 403, 404)},
    )
    def post(self, request):
        query = self.LookupSerializer(data=request.data)
        query.is_valid(raise_exception=True)
        person = counter_person_lookup(
            operator=request.user, counter_id=counter_of(request), id_number=query.validated_data["id_number"]
        )
        detail = person_detail(person=person)
        holds = account_holds_for(account_ids=[i.account_id for i in detail["insurances"] if i.account_id])
        return Response(
            {
                "id_number": person.id_number,
                "name": person.name,
                "phone": person.phone,
                "birth_date": person.birth_date,
                "insurances": [staff_insurance(i, holds) for i in detail["insurances"]],
                "bindings": [
                    {
                        "id": b.pk,
                        "authorizer": {
                            "name": b.authorizer.person.name,
                            "id_number": b.authorizer.person.id_number,
                        },
                        "beneficiary": {
                            "name": b.beneficiary.person.name,
                            "id_number": b.beneficiary.person.id_number,
                        },
                        "relation": b.relation,
                        "status": b.status,
                        "channel": b.channel,
                        "created_at": b.created_at,
                        "end_reason": b.end_reason,
                    }
                    for b in detail["bindings"]
                ],
                "enrollments": [
                    {"year": e.year, "kind": e.kind, "paid": e.paid} for e in detail["enrollments"]
                ],
                "payments": PaymentOutputSerializer(detail["payments"], many=True).data,
                "allowances": [staff_allowance(a) for a in detail["allowances"]],
            }
        )


class StaffBindingCreateApi(APIView):
    permission_classes = [IsCounterStaff]

    class InputSerializer(serializers.Serializer):
        authorizer_id_number = IdNumberField()
        beneficiary_id_number = IdNumberField()
        beneficiary_name = serializers.CharField(max_length=64)
        relation = serializers.CharField(max_length=32)
        pledge_version = serializers.IntegerField(min_value=1, max_value=10_000)
        paper_pledge_ref = serializers.CharField(max_length=64)

    @extend_schema(
        request=InputSerializer,
        parameters=[COUNTER_PARAMETER],
        responses={
            201: OpenApiResponse(description="the binding"),
            **error_responses(400, 401, 403, 409, 422),
        },
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        binding = counter_binding_create(
            operator=request.user, counter_id=counter_of(request), **serializer.validated_data
        )
        return Response(
            {
                "id": binding.pk,
                "relation": binding.relation,
                "status": binding.status,
                "channel": binding.channel,
            },
            status=201,
        )


class StaffPaymentCreateApi(APIView):
    permission_classes = [IsCounterStaff]

    class InputSerializer(serializers.Serializer):
        authorizer_id_number = IdNumberField(required=False)
        beneficiary_id_number = IdNumberField()
        year = YearField()
        kind = PremiumKindField()

    @extend_schema(
        request=InputSerializer,
        parameters=[
            OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=True),
            COUNTER_PARAMETER,
        ],
        responses={201: PaymentOutputSerializer, **error_responses(400, 401, 403, 404, 409, 422)},
    )
    def post(self, request):
        key = idempotency_key_from(request)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        payment = counter_payment_create(
            operator=request.user,
            counter_id=counter_of(request),
            idempotency_key=key,
            **serializer.validated_data,
        )
        return Response(PaymentOutputSerializer(payment).data, status=201)


IDEMPOTENCY_PARAMETER = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER, required=True, description="1–255 characters, per caller"
)


class StaffAllowanceApi(APIView):
    """A walk-in authorizer's allowance for one of his bindings, as he would set or release it online
    (`PUT`/`DELETE bindings/{id}/allowance/`); recorded with the operator and the counter."""

    permission_classes = [IsCounterStaff]

    class InputSerializer(serializers.Serializer):
        amount = serializers.CharField(help_text='yuan, e.g. "500.00"')

    @extend_schema(
        operation_id="staff_binding_allowance_set",
        request=InputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER, COUNTER_PARAMETER],
        responses={
            200: OpenApiResponse(description="the allowance"),
            **error_responses(400, 401, 403, 404, 409, 422, 503),
        },
    )
    def put(self, request, binding_id: int):
        """Sets, raises or lowers the allowance; the difference moves between it and the personal account."""
        key = idempotency_key_from(request)
        if not isinstance(request.data, dict) or "amount" not in request.data:
            raise invalid_amount()
        amount_fen = amount_fen_from(request.data["amount"])
        allowance = counter_allowance_set(
            operator=request.user,
            counter_id=counter_of(request),
            binding=binding_get(binding_id=binding_id),
            amount_fen=amount_fen,
            idempotency_key=key,
        )
        return Response(staff_allowance(allowance))

    @extend_schema(
        operation_id="staff_binding_allowance_release",
        parameters=[IDEMPOTENCY_PARAMETER, COUNTER_PARAMETER],
        responses={204: None, **error_responses(400, 401, 403, 404, 409, 503)},
    )
    def delete(self, request, binding_id: int):
        """Releases the allowance: the unspent part is back in the personal account at once."""
        key = idempotency_key_from(request)
        counter_allowance_release(
            operator=request.user,
            counter_id=counter_of(request),
            binding=binding_get(binding_id=binding_id),
            idempotency_key=key,
        )
        return Response(status=204)


class StaffPaymentRefundApi(APIView):
    permission_classes = [IsCounterSupervisor]

    class InputSerializer(serializers.Serializer):
        reason = serializers.ChoiceField(choices=RefundReason.choices)
        note = serializers.CharField(max_length=500, allow_blank=True, required=False, default="")

    @extend_schema(
        request=InputSerializer,
        parameters=[COUNTER_PARAMETER],
        responses={200: PaymentOutputSerializer, **error_responses(400, 401, 403, 404, 422)},
    )
    def post(self, request, payment_id: int):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        payment = payment_get(payment_id=payment_id)
        if payment is None:
            raise ApplicationError("not_found", _("No such payment was found."))
        refunded = counter_payment_refund(
            operator=request.user,
            counter_id=counter_of(request),
            payment=payment,
            **serializer.validated_data,
        )
        return Response(PaymentOutputSerializer(refunded).data)


class ReviewFilterSerializer(DateRangeSerializer):
    region = serializers.RegexField(r"^[1-9][0-9]{5}$", required=False)
    channel = serializers.ChoiceField(choices=PaymentChannel.choices, required=False)
    relation = serializers.ChoiceField(choices=Relation.choices, required=False)
    status = serializers.ChoiceField(choices=PaymentStatus.choices, required=False)
    kind = serializers.ChoiceField(choices=PremiumKind.choices, required=False)


REVIEW_PARAMETERS = [
    OpenApiParameter(name, str) for name in ("region", "channel", "relation", "status", "kind", "from", "to")
]


def review_row(payment: Payment) -> dict:
    return {
        "reference": payment.reference,
        "created_at": timezone.localtime(payment.created_at).isoformat(),
        "year": payment.year,
        "kind": payment.kind,
        "region_code": payment.region_code,
        "channel": payment.channel,
        "relation": payment.relation,
        "status": payment.status,
        "amount": yuan(payment.amount_fen),
        "beneficiary": payment.beneficiary.person.name,
        "authorizer": payment.authorizer.person.name,
    }


CSV_HEADER = list(REVIEW_COLUMNS)
ReviewRowSerializer = inline_serializer(
    "ReviewRow",
    {name: serializers.IntegerField() if name == "year" else serializers.CharField() for name in CSV_HEADER},
    many=True,
)


class ExpenditureReviewApi(APIView):
    permission_classes = [IsAuditor]

    @extend_schema(
        parameters=REVIEW_PARAMETERS,
        responses={
            200: paginated(
                "ExpenditureReviewPage",
                ReviewRowSerializer,
                # Paid means settled: refunded payments are counted apart, never as paid.
                totals=inline_serializer(
                    "ReviewTotals",
                    {
                        "payments": serializers.IntegerField(),
                        "people": serializers.IntegerField(),
                        "amount": serializers.CharField(),
                        "refunded_payments": serializers.IntegerField(),
                        "refunded_amount": serializers.CharField(),
                    },
                ),
            ),
            **error_responses(400, 401, 403),
        },
    )
    def get(self, request):
        payments = payment_list_for_review(**ReviewFilterSerializer.filters_from(request))
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(payments, request, self)
        response = paginator.get_paginated_response([review_row(p) for p in page])
        totals = payment_review_totals(payments=payments)
        response.data["totals"] = {
            "payments": totals["payments"],
            "people": totals["people"],
            "amount": yuan(totals["amount_fen"]),
            "refunded_payments": totals["refunded_payments"],
            "refunded_amount": yuan(totals["refunded_amount_fen"]),
        }
        return response


CSV_CHUNK_ROWS = 2000


def _yuan_text(amount_fen: int) -> str:
    return f"{amount_fen // 100}.{amount_fen % 100:02d}"


def _api_csv(local_zone: datetime.tzinfo) -> tuple[list[str], Callable[[tuple], tuple]]:
    """The API's documented CSV: column names, codes, ISO times and full names."""

    def row(values: tuple) -> tuple:
        reference, created_at, *middle, amount_fen, beneficiary, authorizer = values
        local = created_at.astimezone(local_zone).isoformat()
        return (reference, local, *middle, _yuan_text(amount_fen), beneficiary, authorizer)

    return list(REVIEW_COLUMNS), row


def _page_csv(local_zone: datetime.tzinfo) -> tuple[list[str], Callable[[tuple], tuple]]:
    """The review page's CSV: its headings and labels in the request's language, resolved now (the
    rows are written after the view has returned), and the names masked as the page masks them."""
    header = [
        _("Reference"),
        _("Time"),
        _("Coverage year"),
        _("Kind"),
        _("Region"),
        _("Channel"),
        _("Relation"),
        _("Status"),
        _("Amount (yuan)"),
        _("Insured relative"),
        _("Paid from the account of"),
    ]
    labels = {
        **{("channel", value): str(label) for value, label in PaymentChannel.choices},
        **{("relation", value): str(label) for value, label in Relation.choices},
        **{("status", value): str(label) for value, label in PaymentStatus.choices},
        **{("kind", value): str(label) for value, label in PremiumKind.choices},
    }
    language = translation.get_language()

    def row(values: tuple) -> tuple:
        reference, created_at, year, kind, region, *coded, amount_fen, beneficiary, authorizer = values
        channel, relation, status = (
            labels.get((name, code), code)
            for name, code in zip(("channel", "relation", "status"), coded, strict=True)
        )
        return (
            reference,
            created_at.astimezone(local_zone).strftime("%Y-%m-%d %H:%M:%S"),
            year,
            labels.get(("kind", kind), kind),
            region_name(region, language=language),
            channel,
            relation,
            status,
            _yuan_text(amount_fen),
            mask_name(beneficiary),
            mask_name(authorizer),
        )

    return header, row


def review_csv_response(payments: QuerySet[Payment], *, for_page: bool = False) -> StreamingHttpResponse:
    """Streams exactly what is filtered, block by block: memory stays flat however many rows there are.

    Plain tuples in the CSV's column order, no model instances, so the export costs little more
    than the rows' own text; the server writes a block of rows per socket write, not a row. The API
    writes its documented columns; the page (`for_page`) writes what the page shows.
    """
    columns = payment_review_rows(payments=payments)
    local_zone = timezone.get_current_timezone()
    header, row = (_page_csv if for_page else _api_csv)(local_zone)

    def rows():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write("\ufeff")  # a BOM so spreadsheet programs read the Chinese names as UTF-8
        writer.writerow(header)
        yield buffer.getvalue()  # the header at once, before the query's first rows
        buffer.seek(0)
        buffer.truncate()
        # Closed with the response: a download broken off puts the planner's setting back at once.
        with closing(rows_streamed(columns, chunk_size=CSV_CHUNK_ROWS)) as streamed:
            for count, values in enumerate(streamed, start=1):
                writer.writerow(row(values))
                if count % CSV_CHUNK_ROWS == 0:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
        yield buffer.getvalue()

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="expenditures-{datetime.date.today():%Y%m%d}.csv"'  # noqa: DTZ011
    )
    return response


class ExpenditureReviewCsvApi(APIView):
    permission_classes = [IsAuditor]

    @extend_schema(
        parameters=REVIEW_PARAMETERS, responses={(200, "text/csv"): bytes, **error_responses(400, 401, 403)}
    )
    def get(self, request):
        return review_csv_response(payment_list_for_review(**ReviewFilterSerializer.filters_from(request)))


class StatsApi(APIView):
    permission_classes = [IsAuditor]

    class FilterSerializer(serializers.Serializer):
        year = YearField()

    @extend_schema(
        parameters=[OpenApiParameter("year", int, required=True)],
        responses={200: OpenApiResponse(description="statistics"), **error_responses(400, 401, 403)},
    )
    def get(self, request):
        query = self.FilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        stats = payment_stats(year=query.validated_data["year"])

        def money(rows):
            return [
                {**{k: v for k, v in row.items() if k != "amount_fen"}, "amount": yuan(row["amount_fen"])}
                for row in rows
            ]

        return Response(
            {
                "year": stats["year"],
                "beneficiaries_paid": stats["beneficiaries_paid"],
                "amount_total": yuan(stats["amount_fen"]),
                "by_region": money(stats["by_region"]),
                "by_relation": money(stats["by_relation"]),
                "by_channel": money(stats["by_channel"]),
                "by_kind": money(stats["by_kind"]),
            }
        )


class ReconciliationApi(APIView):
    permission_classes = [IsAuditor]

    class FilterSerializer(serializers.Serializer):
        date = serializers.DateField()

    @extend_schema(
        parameters=[OpenApiParameter("date", str, required=True)],
        responses={
            200: OpenApiResponse(description="the day's reconciliation"),
            **error_responses(400, 401, 403),
        },
    )
    def get(self, request):
        query = self.FilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        result = reconcile(date=query.validated_data["date"])
        return Response(
            {"date": result.date, "ok": result.ok, "checked": result.checked, "mismatches": result.mismatches}
        )
