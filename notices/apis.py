from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api_fields import error_responses, paginated
from common.permissions import IsInsuree, person_of
from notices.models import NoticeLink
from notices.rendering import notice_text
from notices.selectors import notice_list_for_person, notice_unread_count
from notices.services import notices_mark_read


class NoticeListApi(APIView):
    """The caller's notices, newest first, each in the request's language, and how many are unread."""

    permission_classes = [IsInsuree]

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        kind = serializers.CharField()
        message = serializers.CharField()
        payment_id = serializers.IntegerField(allow_null=True)
        created_at = serializers.DateTimeField()
        read = serializers.BooleanField()

    @extend_schema(
        responses={
            200: paginated(
                "NotificationPage", OutputSerializer(many=True), unread=serializers.IntegerField()
            ),
            **error_responses(401, 403),
        }
    )
    def get(self, request):
        person = person_of(request.user)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(notice_list_for_person(person_id=person.pk), request, self)
        rows = [
            {
                "id": n.pk,
                "kind": n.kind,
                "message": notice_text(n),
                "payment_id": n.link_id if n.link_kind == NoticeLink.PAYMENT else None,
                "created_at": n.created_at,
                "read": n.read_at is not None,
            }
            for n in page
        ]
        response = paginator.get_paginated_response(self.OutputSerializer(rows, many=True).data)
        response.data["unread"] = notice_unread_count(person_id=person.pk)
        return response


class NoticeReadApi(APIView):
    """Marks the caller's notices read: all of them, or those of the given ids that are his."""

    permission_classes = [IsInsuree]

    class InputSerializer(serializers.Serializer):
        ids = serializers.ListField(
            child=serializers.IntegerField(min_value=1), required=False, max_length=100
        )

    @extend_schema(
        request=InputSerializer,
        responses={
            200: inline_serializer("MarkedRead", {"marked": serializers.IntegerField()}),
            **error_responses(400, 401, 403),
        },
    )
    def post(self, request):
        body = self.InputSerializer(data=request.data or {})
        body.is_valid(raise_exception=True)
        marked = notices_mark_read(
            person_id=person_of(request.user).pk, notice_ids=body.validated_data.get("ids")
        )
        return Response({"marked": marked})
