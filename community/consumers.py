"""The notification socket, /ws/notifications/: pushes a builder's new notifications live."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async

from community.selectors.notifications import notification_list, notification_unread_count
from community.services.notifications import notification_group, notification_payload
from descent.live.consumer import DisconnectsOnExit
from descent.websocket_guards import GuardedConsumer

# A WebSocket close code in the application range, echoing HTTP 401.
CLOSE_UNAUTHENTICATED = 4401
SNAPSHOT_SIZE = 10


@database_sync_to_async
def _snapshot(user: Any) -> dict[str, Any]:
    latest = notification_list(user=user)[:SNAPSHOT_SIZE]
    return {
        "type": "notifications.snapshot",
        "unread": notification_unread_count(user_id=user.pk),
        "notifications": [notification_payload(n) for n in latest],
    }


class NotificationConsumer(DisconnectsOnExit, GuardedConsumer):
    """Join the builder's group and relay `notification.created` / `notification.read`.

    On connect the client gets `notifications.snapshot` (unread count and the latest ten),
    then `{"type": "notification", "notification": {...}, "unread": n}` for each new one and
    `{"type": "notifications.read", "unread": n}` when some were read elsewhere.
    """

    group: str | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            # Accept, then close with a code the client can read: a refused handshake is an
            # opaque 403 to browser JavaScript.
            await self.accept()
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.group = notification_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json(await _snapshot(user))

    async def disconnect(self, code: int) -> None:
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def notification_created(self, event: dict[str, Any]) -> None:
        await self.send_json(
            {
                "type": "notification",
                "notification": event["notification"],
                "unread": event["unread"],
            }
        )

    async def notification_read(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "notifications.read", "unread": event["unread"]})
