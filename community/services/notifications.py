"""Notifications: store one, then push it to the recipient's browsers after commit."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from community.errors import InvalidInput
from community.models import Notification, NotificationMute, User
from community.notification_kinds import notification_kinds
from community.selectors.notifications import notification_is_muted, notification_unread_count
from descent.live.publisher import publish_on_commit


def notification_group(user_id: int) -> str:
    """Return the channel-layer group of one user's notification sockets."""
    return f"user.{user_id}.notifications"


def notification_payload(notification: Notification) -> dict[str, Any]:
    """Return the JSON shape of a notification, shared by the API and the WebSocket."""
    return {
        "id": notification.pk,
        "kind": notification.kind,
        "text": notification.text,
        "url": notification.url,
        "created_at": notification.created_at.isoformat(),
        "read": notification.read_at is not None,
    }


def _publish_on_commit(user_id: int, event: dict[str, Any]) -> None:
    """After commit, send an event to a user's sockets with their unread count then."""
    publish_on_commit(notification_group(user_id), lambda: {
        **event, "unread": notification_unread_count(user_id=user_id),
    })


@transaction.atomic
def notification_create(
    *, recipient: User, kind: str, text: str, url: str = ""
) -> Notification | None:
    """Create a notification and push it live to the recipient once the transaction commits.

    Call from sync code (views, services, Celery tasks); from async code wrap it in
    `database_sync_to_async`. Inside an outer transaction nothing is sent until that commits,
    and nothing at all if it rolls back. A kind the recipient muted is neither stored nor
    sent: None.
    """
    if notification_is_muted(user_id=recipient.pk, kind=kind[:40]):
        return None
    notification = Notification.objects.create(
        recipient=recipient, kind=kind[:40], text=text[:300], url=url[:500]
    )
    _publish_on_commit(recipient.pk, {"type": "notification.created",
                                      "notification": notification_payload(notification)})
    return notification


@transaction.atomic
def notifications_mark_read(*, user: User, ids: list[int] | None = None) -> int:
    """Mark some (`ids`) or all of a user's unread notifications read; return how many."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    count = unread.update(read_at=timezone.now())
    if count:
        # Other open tabs lower their badge too.
        _publish_on_commit(user.pk, {"type": "notification.read", "ids": ids})
    return count


@transaction.atomic
def notification_preferences_set(*, user: User, muted: set[str]) -> set[str]:
    """Mute exactly the kinds in `muted` (registered kinds only); return the muted set."""
    known = notification_kinds()
    unknown = sorted(muted - set(known))
    if unknown:
        raise InvalidInput(f"unknown notification kind {unknown[0]!r}; "
                           f"choose from {', '.join(sorted(known))}", field="muted")
    NotificationMute.objects.filter(user=user, kind__in=set(known) - muted).delete()
    have = set(NotificationMute.objects.filter(user=user).values_list("kind", flat=True))
    NotificationMute.objects.bulk_create(
        [NotificationMute(user=user, kind=kind) for kind in sorted(muted - have)],
        ignore_conflicts=True)
    return muted
