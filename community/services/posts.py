"""Post writes: reply, edit, delete. Markdown is rendered here, once, at write time."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from community import attachments
from community.errors import InvalidInput, NotAllowed, ThreadLocked
from community.markdown import render_markdown
from community.models import Post, Thread, User
from community.permissions import can_edit, can_reply
from community.services.notifications import notification_create

MAX_BODY_CHARS = 40_000


def _clean_body(body: str) -> str:
    body = body.strip()
    if not body:
        raise InvalidInput("write something", field="body")
    if len(body) > MAX_BODY_CHARS:
        raise InvalidInput(
            f"the post is {len(body)} characters; the limit is {MAX_BODY_CHARS}", field="body"
        )
    return body


def post_build(*, thread: Thread, author: User, body: str, is_opening: bool) -> Post:
    """Create a post row (no permission checks: callers are thread_create and post_create)."""
    body = _clean_body(body)
    return Post.objects.create(
        thread=thread,
        author=author,
        is_opening=is_opening,
        body_markdown=body,
        body_html=render_markdown(body),
    )


@transaction.atomic
def post_create(
    *,
    thread: Thread,
    author: User,
    body: str,
    attachments_cleaned: Mapping[str, Any] | None = None,
) -> Post:
    """Reply to a thread; notify the thread's author after commit."""
    # Lock the thread row: a reply racing a moderator's lock sees the lock, and the reply
    # count is bumped by one writer at a time.
    thread = Thread.objects.select_for_update().get(pk=thread.pk)
    if not can_reply(author, thread):
        raise ThreadLocked()
    post = post_build(thread=thread, author=author, body=body, is_opening=False)
    attachments.attachments_attach(post=post, cleaned=attachments_cleaned or {})
    Thread.objects.filter(pk=thread.pk).update(
        reply_count=F("reply_count") + 1, last_post_at=post.created_at
    )
    if thread.author_id != author.pk:
        notification_create(
            recipient=thread.author,
            kind="reply",
            text=f"{author.username} replied to “{thread.title}”",
            url=post.get_absolute_url(),
        )
    return post


@transaction.atomic
def post_update(*, post: Post, editor: User, body: str) -> Post:
    """Edit a post's Markdown (author or staff) and render it again."""
    if not can_edit(editor, post):
        raise NotAllowed("you can only edit your own posts")
    post.body_markdown = _clean_body(body)
    post.body_html = render_markdown(post.body_markdown)
    post.edited_at = timezone.now()
    post.save(update_fields=["body_markdown", "body_html", "edited_at"])
    return post


@transaction.atomic
def post_delete(*, post: Post, actor: User) -> None:
    """Delete a post (author or staff); deleting a thread's opening post deletes the thread."""
    if not can_edit(actor, post):
        raise NotAllowed("you can only delete your own posts")
    if post.is_opening:
        Thread.objects.filter(pk=post.thread_id).delete()
        return
    post.delete()
    Thread.objects.filter(pk=post.thread_id, reply_count__gt=0).update(
        reply_count=F("reply_count") - 1
    )
