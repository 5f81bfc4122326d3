"""Moderation of posts and handling of reports (staff)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from community.errors import InvalidInput, NotAllowed
from community.models import Post, Report, User
from community.permissions import is_moderator


@transaction.atomic
def post_hide(*, post: Post, moderator: User, reason: str) -> Post:
    """Hide a post behind a reason that readers see in place of its body (staff only)."""
    if not is_moderator(moderator):
        raise NotAllowed("only staff hide posts")
    reason = reason.strip()
    if not reason:
        raise InvalidInput("say why the post is hidden; readers see the reason", field="reason")
    post.is_hidden = True
    post.hidden_reason = reason[:300]
    post.save(update_fields=["is_hidden", "hidden_reason"])
    return post


@transaction.atomic
def post_unhide(*, post: Post, moderator: User) -> Post:
    """Show a hidden post again (staff only)."""
    if not is_moderator(moderator):
        raise NotAllowed("only staff unhide posts")
    post.is_hidden = False
    post.hidden_reason = ""
    post.save(update_fields=["is_hidden", "hidden_reason"])
    return post


@transaction.atomic
def report_create(*, post: Post, reporter: User, reason: str) -> Report:
    """Flag a post for the moderators; once per builder per post, never one's own."""
    if post.author_id == reporter.pk:
        raise InvalidInput("you cannot report your own post; edit or delete it", field="post")
    reason = reason.strip()
    if not reason:
        raise InvalidInput("say what is wrong with the post", field="reason")
    try:
        with transaction.atomic():
            return Report.objects.create(post=post, reporter=reporter, reason=reason[:500])
    except IntegrityError:
        raise InvalidInput("you already reported this post", field="post") from None


@transaction.atomic
def reports_resolve(*, report_ids: list[int], moderator: User) -> int:
    """Mark open reports resolved by `moderator`; return how many."""
    if not is_moderator(moderator):
        raise NotAllowed("only staff resolve reports")
    return Report.objects.filter(pk__in=report_ids, resolved_at__isnull=True).update(
        resolved_at=timezone.now(), resolved_by=moderator
    )
