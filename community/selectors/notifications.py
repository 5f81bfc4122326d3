"""Notification reads for the bell, the page and the API."""

from __future__ import annotations

from django.db.models import QuerySet

from community.models import Notification, NotificationMute, User
from community.notification_kinds import notification_kinds


def notification_list(*, user: User, unread_only: bool = False) -> QuerySet[Notification]:
    """Return a builder's notifications, newest first."""
    notifications = Notification.objects.filter(recipient=user)
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    return notifications


def notification_unread_count(*, user_id: int) -> int:
    """Return how many of a builder's notifications are unread."""
    return Notification.objects.filter(recipient_id=user_id, read_at__isnull=True).count()


def notification_is_muted(*, user_id: int, kind: str) -> bool:
    """Return True if the builder turned this kind of notification off."""
    return NotificationMute.objects.filter(user_id=user_id, kind=kind).exists()


def notification_preferences(*, user: User) -> list[dict[str, object]]:
    """Return every mutable kind as {"kind", "label", "muted"}, in registration order."""
    muted = set(NotificationMute.objects.filter(user=user).values_list("kind", flat=True))
    return [{"kind": kind, "label": label, "muted": kind in muted}
            for kind, label in notification_kinds().items()]
