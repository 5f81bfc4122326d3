"""Notifications over the API: list, and mark read."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from community.apis.base import CommunityApi
from community.selectors.notifications import notification_list, notification_unread_count
from community.services.notifications import notification_payload, notifications_mark_read
from descent.api.pagination import PAGE_PARAMETERS
from descent.api.schema import ErrorSerializer
from descent.api.serializers import BoundedListField, IdField, StrictInputSerializer
from descent.api.views import paginated


class NotificationOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    text = serializers.CharField()
    url = serializers.CharField()
    created_at = serializers.CharField()
    read = serializers.BooleanField()


class NotificationPageSerializer(serializers.Serializer):
    """One page of notifications, and how many are unread in all."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = NotificationOutputSerializer(many=True)
    unread = serializers.IntegerField()


class NotificationListApi(CommunityApi):
    """The caller's notifications, newest first."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter("unread", bool, description="only unread ones"),
                    *PAGE_PARAMETERS],
        responses={200: NotificationPageSerializer,
                   404: OpenApiResponse(ErrorSerializer, description="no such page")},
        summary="List my notifications",
    )
    def get(self, request: Request) -> Response:
        unread_only = request.query_params.get("unread") in {"1", "true", "yes"}
        notifications = notification_list(user=request.user, unread_only=unread_only)
        response = paginated(
            self, request, notifications, lambda page: [notification_payload(n) for n in page]
        )
        response.data["unread"] = notification_unread_count(user_id=request.user.pk)
        return response


class NotificationReadApi(CommunityApi):
    """Mark notifications read: the listed `ids`, or all of them when `ids` is absent."""

    permission_classes = [IsAuthenticated]
    throttle_classes: list = []

    class InputSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "NotificationReadInput"

        ids = BoundedListField(
            child=IdField(), required=False, max_length=500
        )

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "NotificationReadOutput"

        marked = serializers.IntegerField()
        unread = serializers.IntegerField()

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer}, summary="Mark read")
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data or {})
        serializer.is_valid(raise_exception=True)
        marked = notifications_mark_read(
            user=request.user, ids=serializer.validated_data.get("ids")
        )
        unread = notification_unread_count(user_id=request.user.pk)
        return Response({"marked": marked, "unread": unread})
