"""A WebSocket that answers pings and relays system broadcasts: the stack's live check."""

from __future__ import annotations

from typing import Any

from descent.live.consumer import DisconnectsOnExit, LiveConsumer
from descent.live.presence import presence_group
from descent.websocket_guards import GuardedConsumer

SYSTEM_GROUP = "system.broadcast"


class PingConsumer(DisconnectsOnExit, GuardedConsumer):
    """Answer `{"type": "ping"}` with `{"type": "pong"}`; relay `system.message` events.

    The relay proves the whole path: a `group_send` from any process, through the Redis
    channel layer, to this client. Inbound frames are limited like every route's.
    """

    async def connect(self) -> None:
        await self.channel_layer.group_add(SYSTEM_GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(SYSTEM_GROUP, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong", "id": content.get("id")})
        else:
            await self.send_json({"type": "error", "error": 'send {"type": "ping"}'})

    async def system_message(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "system.message", "text": event.get("text", "")})


class PresenceConsumer(LiveConsumer):
    """`/ws/presence/board/`: how many builders are on the board now."""

    ROOMS = frozenset({"board", "home"})

    async def connect(self) -> None:
        room = self.scope["url_route"]["kwargs"]["room"]
        if room not in self.ROOMS:
            await self.refuse(4404)
            return
        self.room = room
        self.group = presence_group(room)
        await self.join()
