"""Shared pieces of the community API: the base view (writes throttled), attachment input."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from community.attachments import AttachmentError, attachment_clean, attachment_keys
from descent.api.serializers import IdField
from descent.api.throttles import WriteThrottle
from descent.api.views import ServiceApi


class CommunityApi(ServiceApi):
    """The community's endpoints: service errors answered by `ServiceApi`, writes throttled."""

    throttle_classes = [WriteThrottle]
    throttle_scope = "board_writes"


class AttachmentInputMixin(serializers.Serializer):
    """Input fields for post attachments: `run` (documented) plus any registered keys."""

    run = IdField(
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
