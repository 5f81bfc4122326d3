"""Board threads over the API: list and start, read, edit, delete, moderate."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response

from community.apis.base import AttachmentInputMixin, CommunityApi
from community.apis.serializers import (
    ThreadDetailOutputSerializer,
    ThreadOutputSerializer,
    serialize_thread_detail,
)
from community.models import Category
from community.selectors.board import (
    THREAD_SORTS,
    category_by_slug,
    category_list,
    thread_get,
    thread_list,
)
from community.services.threads import thread_create, thread_delete, thread_moderate, thread_update
from descent.api.pagination import CappedPageNumberPagination
from descent.api.serializers import SlugLookupField, StrictInputSerializer
from descent.api.views import paginated


class CategoryListApi(CommunityApi):
    """The board's categories."""

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "CategoryListOutput"

        slug = serializers.SlugField()
        name = serializers.CharField()
        description = serializers.CharField()
        staff_only = serializers.BooleanField()

    @extend_schema(responses={200: OutputSerializer(many=True)}, summary="List categories")
    def get(self, request: Request) -> Response:
        return Response(self.OutputSerializer(category_list(), many=True).data)


class ThreadListApi(CommunityApi):
    """List threads (sorted, filtered, searched) or start one."""

    pagination_class = CappedPageNumberPagination

    class InputSerializer(AttachmentInputMixin, StrictInputSerializer):
        class Meta:
            ref_name = "ThreadListInput"

        category = SlugLookupField(slug_field="slug", queryset=Category.objects.all())
        title = serializers.CharField(max_length=200)
        body = serializers.CharField(help_text="Markdown.", trim_whitespace=False)

    @extend_schema(
        parameters=[
            OpenApiParameter("sort", str, enum=list(THREAD_SORTS), description="default: active"),
            OpenApiParameter("category", str, description="a category slug"),
            OpenApiParameter("q", str, description="search titles and bodies"),
        ],
        responses={200: ThreadOutputSerializer(many=True)},
        summary="List threads",
    )
    def get(self, request: Request) -> Response:
        category = None
        if request.query_params.get("category"):
            category = category_by_slug(request.query_params["category"])
        threads = thread_list(
            category=category,
            sort=request.query_params.get("sort", "active"),
            search=request.query_params.get("q", ""),
        )
        return paginated(
            self, request, threads, lambda page: ThreadOutputSerializer(page, many=True).data
        )

    @extend_schema(
        request=InputSerializer,
        responses={201: ThreadDetailOutputSerializer},
        summary="Start a thread",
        description="`run` attaches a run card to the opening post (your own run).",
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        thread, post = thread_create(author=request.user, **serializer.validated_data)
        data = serialize_thread_detail(thread_get(thread_id=thread.pk), post, request.user)
        return Response(data, status=status.HTTP_201_CREATED)


class ThreadDetailApi(CommunityApi):
    """Read, edit (author or staff) or delete (author or staff) one thread."""

    permission_classes = [IsAuthenticatedOrReadOnly]

    class InputSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "ThreadDetailInput"

        title = serializers.CharField(max_length=200, required=False)
        category = SlugLookupField(
            slug_field="slug", queryset=Category.objects.all(), required=False
        )

    @extend_schema(responses={200: ThreadDetailOutputSerializer}, summary="Get a thread")
    def get(self, request: Request, thread_id: int) -> Response:
        thread = thread_get(thread_id=thread_id)
        opening = thread.posts.select_related("author").filter(is_opening=True).first()
        return Response(serialize_thread_detail(thread, opening, request.user))

    @extend_schema(
        request=InputSerializer, responses={200: ThreadOutputSerializer}, summary="Edit a thread"
    )
    def patch(self, request: Request, thread_id: int) -> Response:
        thread = thread_get(thread_id=thread_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        thread_update(thread=thread, editor=request.user, **serializer.validated_data)
        return Response(ThreadOutputSerializer(thread_get(thread_id=thread_id)).data)

    @extend_schema(responses={204: None}, summary="Delete a thread")
    def delete(self, request: Request, thread_id: int) -> Response:
        thread_delete(thread=thread_get(thread_id=thread_id), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ThreadModerateApi(CommunityApi):
    """Pin or lock a thread (staff)."""

    class InputSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "ThreadModerateInput"

        is_pinned = serializers.BooleanField(required=False)
        is_locked = serializers.BooleanField(required=False)

    @extend_schema(
        request=InputSerializer,
        responses={200: ThreadOutputSerializer},
        summary="Moderate a thread",
    )
    def post(self, request: Request, thread_id: int) -> Response:
        thread = thread_get(thread_id=thread_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        thread_moderate(thread=thread, moderator=request.user, **serializer.validated_data)
        return Response(ThreadOutputSerializer(thread_get(thread_id=thread_id)).data)
