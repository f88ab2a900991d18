from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api_fields import IdNumberField, PersonRefSerializer, StrictBooleanField, error_responses
from common.errors import ApplicationError
from common.permissions import IsInsuree, person_of
from mutual_aid.models import Binding, Channel
from mutual_aid.selectors import (
    authorizer_for,
    beneficiary_for,
    binding_get_for_person,
    binding_list_for_person,
    pledge_check,
    pledge_current,
)
from mutual_aid.services import binding_create, binding_end, binding_set_self_pay_paused


class BindingOutputSerializer(serializers.ModelSerializer):
    authorizer = PersonRefSerializer()
    beneficiary = PersonRefSerializer()

    class Meta:
        model = Binding
        fields = [
            "id",
            "authorizer",
            "beneficiary",
            "relation",
            "status",
            "self_pay_paused",
            "created_at",
            "ended_at",
            "end_reason",
        ]


class PledgeApi(APIView):
    class OutputSerializer(serializers.Serializer):
        version = serializers.IntegerField()
        text = serializers.CharField()
        sha256 = serializers.CharField()

    @extend_schema(responses={200: OutputSerializer, **error_responses(401, 404)})
    def get(self, request):
        pledge = pledge_current()
        if pledge is None:
            raise ApplicationError("not_found", _("No pledge has been published yet."))
        text = pledge.text_en if request.LANGUAGE_CODE == "en" else pledge.text_zh
        return Response({"version": pledge.version, "text": text, "sha256": pledge.sha256})


class BindingListCreateApi(APIView):
    permission_classes = [IsInsuree]

    class InputSerializer(serializers.Serializer):
        beneficiary_id_number = IdNumberField()
        beneficiary_name = serializers.CharField(max_length=64)
        relation = serializers.CharField(max_length=32)
        pledge_version = serializers.IntegerField(min_value=1, max_value=10_000)
        pledge_accepted = StrictBooleanField()

    @extend_schema(responses={200: BindingOutputSerializer(many=True), **error_responses(401, 403)})
    def get(self, request):
        bindings = binding_list_for_person(person=person_of(request.user))
        return Response(BindingOutputSerializer(bindings, many=True).data)

    @extend_schema(
        request=InputSerializer,
        responses={201: BindingOutputSerializer, **error_responses(400, 401, 403, 409, 422)},
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        person = person_of(request.user)
        pledge = pledge_check(version=data["pledge_version"], accepted=data["pledge_accepted"])
        authorizer = authorizer_for(person=person)
        beneficiary = beneficiary_for(id_number=data["beneficiary_id_number"], name=data["beneficiary_name"])
        binding = binding_create(
            authorizer=authorizer,
            beneficiary=beneficiary,
            relation=data["relation"],
            pledge=pledge,
            channel=Channel.ONLINE,
            signer=person,
        )
        return Response(BindingOutputSerializer(binding).data, status=status.HTTP_201_CREATED)


class BindingDetailApi(APIView):
    permission_classes = [IsInsuree]

    class UpdateSerializer(serializers.Serializer):
        self_pay_paused = serializers.BooleanField()

    @extend_schema(responses={200: BindingOutputSerializer, **error_responses(401, 403, 404)})
    def get(self, request, binding_id: int):
        binding = binding_get_for_person(person=person_of(request.user), binding_id=binding_id)
        return Response(BindingOutputSerializer(binding).data)

    @extend_schema(
        request=UpdateSerializer,
        responses={200: BindingOutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def patch(self, request, binding_id: int):
        serializer = self.UpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        person = person_of(request.user)
        binding = binding_get_for_person(person=person, binding_id=binding_id)
        binding = binding_set_self_pay_paused(
            binding=binding, paused=serializer.validated_data["self_pay_paused"], by=person
        )
        return Response(
            BindingOutputSerializer(binding_get_for_person(person=person, binding_id=binding.pk)).data
        )

    @extend_schema(responses={204: None, **error_responses(401, 403, 404)})
    def delete(self, request, binding_id: int):
        person = person_of(request.user)
        binding_end(binding=binding_get_for_person(person=person, binding_id=binding_id), ended_by=person)
        return Response(status=status.HTTP_204_NO_CONTENT)
