"""Notifications: what the header bell shows, pushed live over /ws/notifications/."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Notification(models.Model):
    """Something a builder should know: a reply, a finished run, a beaten rank."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    # Free-form so that other apps add kinds without a migration here ("reply",
    # "run.finished", "rank.beaten", ...).
    kind = models.CharField(max_length=40)
    text = models.CharField(max_length=300)
    url = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "community_notification"
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}: {self.text}"


class NotificationMute(models.Model):
    """One kind of notification a builder turned off ("run.finished", "reply", ...).

    A row means muted: no row, the default, means the builder hears about it.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_mutes"
    )
    kind = models.CharField(max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "community_notification_mute"
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_mute_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} mutes {self.kind}"
