"""Board posts over the API: replies, edits, deletes, votes, reports, hiding."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from community.apis.base import AttachmentInputMixin, CommunityApi
from community.apis.serializers import PostOutputSerializer, serialize_posts
from community.models import Vote
from community.selectors.board import post_get, post_list, thread_get
from community.services.moderation import post_hide, post_unhide, report_create
from community.services.posts import post_create, post_delete, post_update
from community.services.votes import post_unvote, post_vote
from descent.api.pagination import CappedPageNumberPagination
from descent.api.serializers import StrictInputSerializer
from descent.api.views import paginated


class ThreadPostListApi(CommunityApi):
    """A thread's posts (opening post first), or a new reply."""

    pagination_class = CappedPageNumberPagination

    class InputSerializer(AttachmentInputMixin, StrictInputSerializer):
        class Meta:
            ref_name = "ThreadPostListInput"

        body = serializers.CharField(help_text="Markdown.", trim_whitespace=False)

    @extend_schema(
        responses={200: PostOutputSerializer(many=True)}, summary="List a thread's posts"
    )
    def get(self, request: Request, thread_id: int) -> Response:
        posts = post_list(thread=thread_get(thread_id=thread_id))
        return paginated(self, request, posts, lambda page: serialize_posts(page, request.user))

    @extend_schema(
        request=InputSerializer,
        responses={201: PostOutputSerializer},
        summary="Reply to a thread",
        description="A locked thread answers 403 `thread is locked`.",
    )
    def post(self, request: Request, thread_id: int) -> Response:
        thread = thread_get(thread_id=thread_id)
        serializer = self.InputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        post = post_create(thread=thread, author=request.user, **serializer.validated_data)
        return Response(serialize_posts([post], request.user)[0], status=status.HTTP_201_CREATED)


class PostDetailApi(CommunityApi):
    """Read, edit or delete one post (edit and delete: author or staff)."""

    class InputSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "PostDetailInput"

        body = serializers.CharField(help_text="Markdown.", trim_whitespace=False)

    @extend_schema(responses={200: PostOutputSerializer}, summary="Get a post")
    def get(self, request: Request, post_id: int) -> Response:
        return Response(serialize_posts([post_get(post_id=post_id)], request.user)[0])

    @extend_schema(
        request=InputSerializer, responses={200: PostOutputSerializer}, summary="Edit a post"
    )
    def patch(self, request: Request, post_id: int) -> Response:
        post = post_get(post_id=post_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        post = post_update(post=post, editor=request.user, **serializer.validated_data)
        return Response(serialize_posts([post], request.user)[0])

    @extend_schema(
        responses={204: None},
        summary="Delete a post",
        description="Deleting a thread's opening post deletes the thread.",
    )
    def delete(self, request: Request, post_id: int) -> Response:
        post_delete(post=post_get(post_id=post_id), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PostVoteApi(CommunityApi):
    """Vote on a post (once per builder; never on your own), or withdraw the vote."""

    class InputSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "PostVoteInput"

        value = serializers.ChoiceField(choices=[Vote.UP, Vote.DOWN], default=Vote.UP)

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "PostVoteOutput"

        post = serializers.IntegerField()
        value = serializers.IntegerField(allow_null=True)
        score = serializers.IntegerField()

    def _answer(self, post_id: int, value: int | None) -> dict:
        post = post_get(post_id=post_id)
        return self.OutputSerializer({"post": post.pk, "value": value, "score": post.score}).data

    @extend_schema(
        request=InputSerializer,
        responses={200: OutputSerializer},
        summary="Vote on a post",
        description="`value` 1 (default) or -1. Voting twice counts once.",
    )
    def post(self, request: Request, post_id: int) -> Response:
        post = post_get(post_id=post_id)
        # An empty body is a plain up-vote.
        serializer = self.InputSerializer(data=request.data or {})
        serializer.is_valid(raise_exception=True)
        vote, _changed = post_vote(post=post, user=request.user, **serializer.validated_data)
        return Response(self._answer(post.pk, vote.value))

    @extend_schema(responses={200: OutputSerializer}, summary="Withdraw a vote")
    def delete(self, request: Request, post_id: int) -> Response:
        post = post_get(post_id=post_id)
        post_unvote(post=post, user=request.user)
        return Response(self._answer(post.pk, None))


class PostReportApi(CommunityApi):
    """Report a post to the moderators."""

    class InputSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "PostReportInput"

        reason = serializers.CharField(max_length=500)

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "PostReportOutput"

        id = serializers.IntegerField()
        post = serializers.IntegerField(source="post_id")
        reason = serializers.CharField()
        created_at = serializers.DateTimeField()

    @extend_schema(
        request=InputSerializer, responses={201: OutputSerializer}, summary="Report a post"
    )
    def post(self, request: Request, post_id: int) -> Response:
        post = post_get(post_id=post_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = report_create(post=post, reporter=request.user, **serializer.validated_data)
        return Response(self.OutputSerializer(report).data, status=status.HTTP_201_CREATED)


class PostHideApi(CommunityApi):
    """Hide a post behind a reason, or show it again (staff)."""

    class InputSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "PostHideInput"

        hidden = serializers.BooleanField(default=True)
        reason = serializers.CharField(max_length=300, required=False, default="")

    @extend_schema(
        request=InputSerializer, responses={200: PostOutputSerializer}, summary="Hide a post"
    )
    def post(self, request: Request, post_id: int) -> Response:
        post = post_get(post_id=post_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if serializer.validated_data["hidden"]:
            post = post_hide(
                post=post, moderator=request.user, reason=serializer.validated_data["reason"]
            )
        else:
            post = post_unhide(post=post, moderator=request.user)
        return Response(serialize_posts([post], request.user)[0])
