"""The base of every live WebSocket: inbound limits, ping, presence.

Clients need to send only `{"type": "ping"}` (and `{"type": "resync"}`); the inbound limits
(frame size, rate, JSON) are `GuardedConsumer`'s, shared with every route
(descent/websocket_guards.py). Group messages arrive through the process's
`GroupHub` (descent/live/hub.py), already encoded, into this connection's outbox; a writer task
drains it, so a slow or dead client fills only its own outbox (OUTBOX_SIZE; past it messages
are dropped, and the seq gap makes the client resync) and never delays the others. The
connection's own messages (snapshot, pong) go through the same writer, ahead of the outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections import deque
from typing import Any

from channels.layers import get_channel_layer
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


class DisconnectsOnExit:
    """Mix into a consumer whose `disconnect` must run however it ends.

    Uvicorn ends the application without a `websocket.disconnect` when a send meets a closed
    socket (it raises `ClientDisconnected` through the send), and Channels then never calls
    `disconnect`: the group membership stays for a day and the consumer's tasks run on.
    """

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            if not getattr(self, "disconnected", False):
                with contextlib.suppress(Exception):
                    await asyncio.shield(self.disconnect(1006))

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        self.disconnected = True
        await super().websocket_disconnect(message)


class LiveConsumer(GuardedConsumer):
    """Limits and presence; subclasses set `room`/`group` and send their snapshot.

    Every frame leaves through one writer task per connection (`post`, and the hub's
    `deliver`): a handler never awaits a send, so a client that has gone away can never hold
    the consumer in a handler, and the disconnect behind it is always read. Leaving (hub,
    presence, writer) runs however the consumer ends — a clean close, a send to a closed
    socket (Uvicorn then ends the application without a `websocket.disconnect`), a
    cancellation at shutdown — exactly once.
    """

    room: str | None = None
    group: str | None = None
    # Which form of the group's messages this connection gets (descent/live/hub.py).
    variant: str = ""
    heartbeat: Any = None  # the group's heartbeat source, if any (descent/live/hub.py)
    # Consumers that send a snapshot on connect hold the stream back until it is out, so a
    # client never sees an update before the state it updates.
    has_snapshot: bool = False
    # The hub delivers group messages: a connection needs no channel of its own on the layer
    # (one pending receive per socket, and one more thing to cancel when it goes).
    channel_layer_alias = "live-connections-have-no-channel"

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            # Shielded: a cancelled consumer (server shutdown) still leaves its group.
            try:
                await asyncio.shield(self.leave())
            except Exception:  # what is left lapses: presence by its TTL, the group by expiry
                log.warning("could not leave %s cleanly", self.group, exc_info=True)

    async def join(self) -> None:
        """Join the live group and, if any, the presence room; accept the socket."""
        self.connection = uuid.uuid4().hex
        self.outbox: deque[str] = deque()
        self.front: deque[str] = deque()  # snapshots and replies: before queued updates
        self.wake = asyncio.Event()
        self.stream_open = not self.has_snapshot
        await self.accept()
        self.writer = asyncio.create_task(self._write())
        if self.group:
            await hub().subscribe(self.group, self.deliver, variant=self.variant,
                                  heartbeat=self.heartbeat)
            self.subscribed = True
        if self.room:
            self.member = member_for(self.scope.get("user"), self.connection)
            await presence_touch(self.room, self.member)
            self.presence_task = asyncio.create_task(self._keep_present())
            # The newcomer learns the count at once; the others within a second.
            await self.post({"type": "presence.update",
                             "online": await presence_count(self.room)})
            self.announce_presence()

    def deliver(self, text: str) -> None:
        """Queue an encoded group message for this client (called by the hub)."""
        # A full outbox means a client that stopped reading: its message is dropped, and the
        # seq gap (or the next heartbeat) makes it resync when it catches up.
        if len(self.outbox) >= OUTBOX_SIZE:
            return
        self.outbox.append(text)
        if self.stream_open:
            self.wake.set()

    async def post(self, content: Any, *, opens_stream: bool = False) -> None:
        """Queue a message of this connection's own (a snapshot, a reply) ahead of updates.

        `opens_stream`: the snapshot that the queued group messages may follow.
        """
        self.front.append(await self.encode_json(content))
        if opens_stream:
            self.stream_open = True
        self.wake.set()

    async def _write(self) -> None:
        try:
            while True:
                await self.wake.wait()
                self.wake.clear()
                while self.front or (self.stream_open and self.outbox):
                    text = self.front.popleft() if self.front else self.outbox.popleft()
                    await self.send(text_data=text)
        except asyncio.CancelledError:
            raise
        except Exception:  # the client went away; the disconnect that follows cleans up
            log.debug("writer of %s stopped", self.group, exc_info=True)

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
            _announce_later(get_channel_layer(), self.group, self.room)
        )

    async def _keep_present(self) -> None:
        while True:
            await asyncio.sleep(settings.PRESENCE_REFRESH_SECONDS)
            await presence_touch(self.room, self.member)

    async def disconnect(self, code: int) -> None:
        await self.leave()

    async def leave(self) -> None:
        """Leave the group and the presence room and stop the writer; idempotent."""
        if getattr(self, "left", False):
            return
        self.left = True
        writer = getattr(self, "writer", None)
        if writer is not None:
            writer.cancel()
        # Leave the group first and whatever happens next: a membership left behind would be
        # addressed by every later group_send for a day.
        try:
            if getattr(self, "subscribed", False):
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
            await self.post({"type": "pong"})
        elif kind == "resync":
            await self.send_snapshot(resync=True)
        else:
            await self.post({"type": "error",
                             "error": 'send {"type": "ping"} or {"type": "resync"}'})

    async def send_snapshot(self, *, resync: bool = False) -> None:
        """Queue the current state (`post(..., opens_stream=True)`); subclasses override.

        `resync`: the client asked for it after a gap, rather than on connect.
        """

    @classmethod
    async def encode_json(cls, content: Any) -> str:
        # Snapshots carry timestamps; send them as ISO 8601, as the HTTP API does.
        return json.dumps(content, cls=DjangoJSONEncoder)
