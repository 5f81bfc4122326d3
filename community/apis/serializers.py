"""Output shapes of the board API, shared by the thread and post endpoints."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from community.attachments import attachments_for_posts
from community.models import Post, Thread, User
from community.selectors.board import votes_by_user


class AttachmentSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="e.g. `run`")
    data = serializers.DictField(
        help_text="The provider's card data (for `run`: spec, score, ...)."
    )


class PostOutputSerializer(serializers.Serializer):
    """A post; a hidden post's body is replaced by the moderator's reason."""

    id = serializers.IntegerField()
    thread = serializers.IntegerField(source="thread_id")
    author = serializers.CharField(source="author.username")
    is_opening = serializers.BooleanField()
    body_markdown = serializers.SerializerMethodField()
    body_html = serializers.SerializerMethodField()
    is_hidden = serializers.BooleanField()
    hidden_reason = serializers.CharField()
    score = serializers.IntegerField()
    my_vote = serializers.SerializerMethodField()
    attachments = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)
    url = serializers.CharField(source="get_absolute_url")

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_body_markdown(self, post: Post) -> str | None:
        return None if post.is_hidden else post.body_markdown

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_body_html(self, post: Post) -> str | None:
        return None if post.is_hidden else post.body_html

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_my_vote(self, post: Post) -> int | None:
        return self.context.get("votes", {}).get(post.pk)

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_attachments(self, post: Post) -> list[dict[str, Any]]:
        cards = self.context.get("attachments", {}).get(post.pk, [])
        return [{"kind": card.kind, "data": dict(card.data)} for card in cards]


def serialize_posts(posts: Sequence[Post], viewer: User | None) -> list[dict[str, Any]]:
    """Serialise posts with the viewer's votes and every provider's attachment cards."""
    posts = list(posts)
    viewer = viewer if viewer is not None and viewer.is_authenticated else None
    context = {
        "votes": votes_by_user(user=viewer, posts=posts),
        "attachments": attachments_for_posts(posts, viewer),
    }
    return PostOutputSerializer(posts, many=True, context=context).data


class ThreadOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    category = serializers.CharField(source="category.slug")
    author = serializers.CharField(source="author.username")
    created_at = serializers.DateTimeField()
    last_post_at = serializers.DateTimeField()
    reply_count = serializers.IntegerField()
    score = serializers.IntegerField(default=0, help_text="The opening post's score.")
    fork_count = serializers.IntegerField()
    is_pinned = serializers.BooleanField()
    is_locked = serializers.BooleanField()
    url = serializers.CharField(source="get_absolute_url")


class ThreadDetailOutputSerializer(ThreadOutputSerializer):
    opening_post = serializers.SerializerMethodField()

    @extend_schema_field(PostOutputSerializer(allow_null=True))
    def get_opening_post(self, thread: Thread) -> dict[str, Any] | None:
        post = self.context.get("opening_post")
        if post is None:
            return None
        return serialize_posts([post], self.context.get("viewer"))[0]


def serialize_thread_detail(thread: Thread, opening_post: Post | None, viewer: User | None) -> dict:
    """Serialise one thread with its opening post."""
    context = {"opening_post": opening_post, "viewer": viewer}
    return ThreadDetailOutputSerializer(thread, context=context).data
