"""Thread writes: start, edit, delete, moderate, and the fork counter other apps bump."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from community import attachments
from community.errors import InvalidInput, NotAllowed
from community.models import Category, Post, Thread, User
from community.permissions import can_edit, is_moderator
from community.services.posts import post_build
from descent.live.presence import presence_group
from descent.live.publisher import publish_on_commit


def _clean_title(title: str) -> str:
    title = " ".join(title.split())
    if not title:
        raise InvalidInput("give the thread a title", field="title")
    if len(title) > 200:
        raise InvalidInput(f"the title is {len(title)} characters; the limit is 200", field="title")
    return title


def _check_category(category: Category, user: User) -> None:
    if category.staff_only and not is_moderator(user):
        raise NotAllowed(f"only staff start threads in {category.name}", field="category")


@transaction.atomic
def thread_create(
    *,
    author: User,
    category: Category,
    title: str,
    body: str,
    attachments_cleaned: Mapping[str, Any] | None = None,
) -> tuple[Thread, Post]:
    """Start a thread with its opening post; attachments (a run card) go on that post."""
    _check_category(category, author)
    thread = Thread.objects.create(
        category=category, author=author, title=_clean_title(title), last_post_at=timezone.now()
    )
    post = post_build(thread=thread, author=author, body=body, is_opening=True)
    attachments.attachments_attach(post=post, cleaned=attachments_cleaned or {})
    notify_thread_created(thread)
    return thread, post


def notify_thread_created(thread: Thread) -> None:
    """After commit, tell everyone on the board index a thread started ("3 new threads")."""
    publish_on_commit(presence_group("board"), {
        "type": "board.thread",
        "thread": {"id": thread.pk, "title": thread.title, "category": thread.category.slug,
                   "url": thread.get_absolute_url()},
    })


@transaction.atomic
def thread_update(
    *, thread: Thread, editor: User, title: str | None = None, category: Category | None = None
) -> Thread:
    """Retitle or move a thread (author or staff)."""
    if not can_edit(editor, thread):
        raise NotAllowed("you can only edit your own threads")
    fields = []
    if title is not None:
        thread.title = _clean_title(title)
        fields.append("title")
    if category is not None and category.pk != thread.category_id:
        _check_category(category, editor)
        thread.category = category
        fields.append("category")
    if fields:
        thread.save(update_fields=fields)
    return thread


@transaction.atomic
def thread_delete(*, thread: Thread, actor: User) -> None:
    """Delete a thread and its posts (author or staff)."""
    if not can_edit(actor, thread):
        raise NotAllowed("you can only delete your own threads")
    thread.delete()


@transaction.atomic
def thread_moderate(
    *, thread: Thread, moderator: User, is_pinned: bool | None = None, is_locked: bool | None = None
) -> Thread:
    """Pin/unpin or lock/unlock a thread (staff only)."""
    if not is_moderator(moderator):
        raise NotAllowed("only staff moderate threads")
    fields = []
    if is_pinned is not None:
        thread.is_pinned = is_pinned
        fields.append("is_pinned")
    if is_locked is not None:
        thread.is_locked = is_locked
        fields.append("is_locked")
    if fields:
        thread.save(update_fields=fields)
    return thread


def thread_fork_count_increment(*, thread_id: int, by: int = 1) -> None:
    """Count `by` more forks of configs posted in a thread (called by the challenges app).

    An F() update, safe under concurrency; a thread that no longer exists is ignored.
    """
    Thread.objects.filter(pk=thread_id).update(fork_count=F("fork_count") + by)
