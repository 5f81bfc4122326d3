"""Accounts over the API: register, and exchange a username and password for a token."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from community.apis.base import CommunityApi
from community.services.accounts import user_register
from community.services.login_attempts import login_attempt
from community.services.tokens import token_get_or_create
from descent.api.serializers import StrictInputSerializer


class RegisterApi(CommunityApi):
    """Create a builder account."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    class InputSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "RegisterInput"

        username = serializers.CharField(max_length=150)
        password = serializers.CharField(max_length=128, trim_whitespace=False)
        email = serializers.EmailField(required=False, allow_blank=True, default="")

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "RegisterOutput"

        id = serializers.IntegerField()
        username = serializers.CharField()
        email = serializers.CharField(help_text="as given (normalised), or empty")
        date_joined = serializers.DateTimeField()

    @extend_schema(
        request=InputSerializer,
        responses={201: OutputSerializer},
        summary="Register a builder",
        description="Passwords go through Django's validators; a 400 names the field.",
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = user_register(**serializer.validated_data)
        return Response(self.OutputSerializer(user).data, status=status.HTTP_201_CREATED)


class TokenApi(CommunityApi):
    """Exchange a username and password for the builder's API token."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    class InputSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "TokenInput"

        username = serializers.CharField(max_length=150)
        password = serializers.CharField(max_length=128, trim_whitespace=False)

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "TokenOutput"

        token = serializers.CharField()

    @extend_schema(
        request=InputSerializer,
        responses={200: OutputSerializer},
        summary="Get an API token",
        description=(
            "Send the token as `Authorization: Token <token>`. Five failed attempts for one "
            "username from one address within 15 minutes answer 429 with Retry-After."
        ),
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = login_attempt(request=request._request, **serializer.validated_data)
        return Response(self.OutputSerializer({"token": token_get_or_create(user=user).key}).data)
