"""The base of every live WebSocket: inbound limits, ping, presence.

Clients need to send only `{"type": "ping"}` (and `{"type": "resync"}`); the inbound limits
(frame size, rate, JSON) are `GuardedConsumer`'s, shared with every route
(descent/websocket_guards.py). Group messages arrive through the process's
`GroupHub` (descent/live/hub.py), already encoded, into this connection's outbox; a writer task
drains it, so a slow or dead client fills only its own outbox (OUTBOX_SIZE; past it messages
are dropped, and the seq gap makes the client resync) and never delays the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

from descent.live.hub import hub
from descent.live.presence import member_for, presence_count, presence_leave, presence_touch
from descent.live.process_local import per_event_loop
from descent.websocket_guards import GuardedConsumer

log = logging.getLogger(__name__)

PRESENCE_ANNOUNCE_EVERY = 1.0
OUTBOX_SIZE = 500


@per_event_loop
def _announcing() -> dict[str, asyncio.Task]:
    """Return the room → pending announcement tasks of the running loop."""
    return {}


async def _announce_later(layer: Any, group: str, room: str) -> None:
    try:
        await asyncio.sleep(PRESENCE_ANNOUNCE_EVERY)
        await layer.group_send(group, {"type": "presence.update",
                                       "online": await presence_count(room)})
    except Exception:  # a missed count is corrected by the next one
        log.warning("could not announce presence in %s", room, exc_info=True)
    finally:
        _announcing().pop(room, None)


class LiveConsumer(GuardedConsumer):
    """Limits and presence; subclasses set `room`/`group` and send their snapshot."""

    room: str | None = None
    group: str | None = None
    # Consumers that send a snapshot on connect hold the stream back until it is out, so a
    # client never sees an update before the state it updates.
    has_snapshot: bool = False

    async def join(self) -> None:
        """Join the live group and, if any, the presence room; accept the socket."""
        self.presence_task: asyncio.Task | None = None
        self.outbox: asyncio.Queue[str] = asyncio.Queue(OUTBOX_SIZE)
        self.writer: asyncio.Task | None = None
        self.stream_open = asyncio.Event()
        if not self.has_snapshot:
            self.stream_open.set()
        await self.accept()
        if self.group:
            self.writer = asyncio.create_task(self._write())
            await hub().subscribe(self.group, self.deliver)
        if self.room:
            self.member = member_for(self.scope.get("user"), self.channel_name)
            await presence_touch(self.room, self.member)
            self.presence_task = asyncio.create_task(self._keep_present())
            # The newcomer learns the count at once; the others within a second.
            await self.send_json({"type": "presence.update",
                                  "online": await presence_count(self.room)})
            self.announce_presence()

    def deliver(self, text: str) -> None:
        """Queue an encoded group message for this client (called by the hub)."""
        # A full outbox means a client that stopped reading: its message is dropped, and the
        # seq gap makes it resync when it catches up.
        with contextlib.suppress(asyncio.QueueFull):
            self.outbox.put_nowait(text)

    async def _write(self) -> None:
        await self.stream_open.wait()
        while True:
            text = await self.outbox.get()
            await self.send(text_data=text)

    async def refuse(self, code: int) -> None:
        """Accept, then close with `code`: a client learns why (4404: no such thing to watch),
        which a refused handshake (HTTP 403) would not tell it."""
        await self.accept()
        await self.close(code=code)

    def announce_presence(self) -> None:
        """Tell the room its count, at most once a second per room from this process.

        Announcing every connect and disconnect to everyone would cost N² frames when N
        clients arrive together.
        """
        announcing = _announcing()
        if not (self.group and self.room) or self.room in announcing:
            return
        announcing[self.room] = asyncio.create_task(
            _announce_later(self.channel_layer, self.group, self.room)
        )

    async def _keep_present(self) -> None:
        while True:
            await asyncio.sleep(settings.PRESENCE_REFRESH_SECONDS)
            await presence_touch(self.room, self.member)

    async def disconnect(self, code: int) -> None:
        # Leave the group first and whatever happens next: a membership left behind would be
        # addressed by every later group_send for a day.
        try:
            if self.group and getattr(self, "writer", None) is not None:
                self.writer.cancel()
                await hub().unsubscribe(self.group, self.deliver)
        finally:
            if getattr(self, "presence_task", None) is not None:
                self.presence_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self.presence_task
                try:
                    await presence_leave(self.room, self.member)
                    self.announce_presence()
                except Exception:  # the member lapses by itself within its TTL
                    log.warning("could not leave presence room %s", self.room, exc_info=True)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "ping":
            await self.send_json({"type": "pong"})
        elif kind == "resync":
            await self.send_snapshot()
        else:
            await self.send_json({"type": "error",
                                  "error": 'send {"type": "ping"} or {"type": "resync"}'})

    async def send_snapshot(self) -> None:
        """Send the current state; subclasses override."""

    @classmethod
    async def encode_json(cls, content: Any) -> str:
        # Snapshots carry timestamps; send them as ISO 8601, as the HTTP API does.
        return json.dumps(content, cls=DjangoJSONEncoder)
