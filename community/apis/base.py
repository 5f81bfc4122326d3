"""Shared pieces of the community API: error translation, throttles, pagination."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, serializers
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from community.attachments import AttachmentError, attachment_clean, attachment_keys
from community.errors import CommunityError


class WriteThrottle(ScopedRateThrottle):
    """ScopedRateThrottle for writes only: reading the board is never throttled."""

    def allow_request(self, request: Request, view: APIView) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return super().allow_request(request, view)


class CommunityApi(APIView):
    """An APIView that turns the services' CommunityErrors into DRF's 400/403 responses."""

    throttle_classes = [WriteThrottle]
    throttle_scope = "board_writes"

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, CommunityError):
            if exc.status_code == 403:
                exc = exceptions.PermissionDenied(exc.message)
            elif exc.field:
                exc = exceptions.ValidationError({exc.field: exc.messages})
            else:
                exc = exceptions.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: exc.messages})
        return super().handle_exception(exc)


def paginated(view: APIView, request: Request, queryset: Any, serialize: Any) -> Response:
    """Paginate `queryset` with the default paginator; `serialize(page)` returns a list."""
    paginator = api_settings.DEFAULT_PAGINATION_CLASS()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serialize(page))


class AttachmentInputMixin(serializers.Serializer):
    """Input fields for post attachments: `run` (documented) plus any registered keys."""

    run = serializers.IntegerField(
        required=False, help_text="Attach a run card (the run's id; it must be your run)."
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        for key in attachment_keys():
            fields.setdefault(key, serializers.JSONField(required=False))
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        user = self.context["request"].user
        cleaned, errors = {}, {}
        for key in [*attachment_keys(), "run"]:
            if key in attrs and key not in cleaned:
                try:
                    cleaned[key] = attachment_clean(key=key, value=attrs.pop(key), user=user)
                except AttachmentError as exc:
                    errors[key] = [str(exc)]
        if errors:
            raise serializers.ValidationError(errors)
        attrs["attachments_cleaned"] = cleaned
        return attrs
