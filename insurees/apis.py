from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api_fields import error_responses, yuan
from common.masking import mask_id_number
from common.permissions import user_roles
from insurees.selectors import insurances_of


class MeApi(APIView):
    class OutputSerializer(serializers.Serializer):
        class InsuranceSerializer(serializers.Serializer):
            scheme = serializers.CharField()
            region_code = serializers.CharField()
            status = serializers.CharField()
            balance = serializers.CharField(required=False)

        id_number_masked = serializers.CharField(allow_null=True)
        name = serializers.CharField()
        insurances = InsuranceSerializer(many=True)
        roles = serializers.ListField(child=serializers.CharField())

    @extend_schema(responses={200: OutputSerializer, **error_responses(401)})
    def get(self, request):
        person = getattr(request.user, "person", None)
        insurances = []
        if person is not None:
            insurances = [self.insurance_item(insuree) for insuree in insurances_of(person=person)]
        return Response(
            {
                "id_number_masked": mask_id_number(person.id_number) if person else None,
                "name": person.name if person else request.user.get_username(),
                "insurances": insurances,
                "roles": user_roles(request.user),
            }
        )

    def insurance_item(self, insuree) -> dict:
        """One insurance of the answer; a room above (medical, whose allowances hold part of the
        balance) extends it in a subclass of this view, so that this room needs none of its own."""
        item = {"scheme": insuree.scheme, "region_code": insuree.region_code, "status": insuree.status}
        if insuree.account is not None:
            item["balance"] = yuan(insuree.account.balance_fen)
        return item
