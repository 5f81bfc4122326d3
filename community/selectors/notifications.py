"""Notification reads for the bell, the page and the API."""

from __future__ import annotations

from django.db.models import QuerySet

from community.models import Notification, User


def notification_list(*, user: User, unread_only: bool = False) -> QuerySet[Notification]:
    """Return a builder's notifications, newest first."""
    notifications = Notification.objects.filter(recipient=user)
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    return notifications


def notification_unread_count(*, user_id: int) -> int:
    """Return how many of a builder's notifications are unread."""
    return Notification.objects.filter(recipient_id=user_id, read_at__isnull=True).count()
