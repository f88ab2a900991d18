from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.services import login_attempt, token_issue, user_register
from common.api_fields import IdNumberField, error_responses
from common.throttling import AtomicAnonRateThrottle


class LoginAddressThrottle(AtomicAnonRateThrottle):
    """Per client address, whoever it tries to sign in as."""

    scope = "login_ip"


class RegisterThrottle(AtomicAnonRateThrottle):
    scope = "register"


class UserRegisterApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [RegisterThrottle]

    class InputSerializer(serializers.Serializer):
        id_number = IdNumberField()
        name = serializers.CharField(max_length=64)
        phone = serializers.RegexField(r"^1[3-9][0-9]{9}$", max_length=11)
        password = serializers.CharField(max_length=128, write_only=True, trim_whitespace=False)

    @extend_schema(
        request=InputSerializer,
        responses={
            201: inline_serializer("Registered", {"id_number_masked": serializers.CharField()}),
            **error_responses(400, 422, 429),
        },
    )
    def post(self, request):
        data = self._validated(request)
        user = user_register(**data)
        return Response({"id_number_masked": user.username[:4] + "*" * 10 + user.username[-4:]}, status=201)

    def _validated(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class TokenCreateApi(APIView):
    """Insurees sign in with their ID number, staff with their username."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [LoginAddressThrottle]

    class InputSerializer(serializers.Serializer):
        id_number = serializers.CharField(max_length=18, required=False)
        username = serializers.CharField(max_length=150, required=False)
        password = serializers.CharField(max_length=128, trim_whitespace=False)

        def validate(self, attrs):
            if not attrs.get("id_number") and not attrs.get("username"):
                raise serializers.ValidationError(
                    {"id_number": serializers.Field.default_error_messages["required"]}
                )
            return attrs

    @extend_schema(
        request=InputSerializer,
        responses={
            200: inline_serializer("Token", {"token": serializers.CharField()}),
            **error_responses(400, 401, 429),
        },
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = login_attempt(
            identifier=data.get("id_number") or data["username"],
            password=data["password"],
            ip=request.META.get("REMOTE_ADDR"),
        )
        token = token_issue(user=user)
        return Response({"token": token.key}, status=status.HTTP_200_OK)
