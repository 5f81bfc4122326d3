"""One channel-layer subscription per group per ASGI process, fanned out to local sockets.

Joining every WebSocket to a Redis group makes each broadcast one queue entry, one Redis
round trip and one decode per watcher (channels_redis stores a copy per member channel):
at a thousand watchers of one process that alone took ~150-200 ms per message. Here a
process subscribes once per group; each message is received once, encoded to JSON once, and
handed to every local connection's outbox, which a per-connection writer drains, so a slow
client never delays the others (its outbox overflows and it resyncs on the seq gap).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable

from channels.layers import get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder

from descent.live.process_local import per_event_loop

log = logging.getLogger(__name__)

Deliver = Callable[[str], None]


class GroupHub:
    """This process's subscriptions: group → its local deliver callbacks."""

    def __init__(self) -> None:
        self.layer = get_channel_layer()
        self.members: dict[str, set[Deliver]] = {}
        self.channels: dict[str, str] = {}
        self.readers: dict[str, asyncio.Task] = {}
        # One lock for the hub, not one per group: every run page has a group of its own,
        # and a lock per group would outlive it. Subscribing is rare next to messages.
        self.lock = asyncio.Lock()

    async def subscribe(self, group: str, deliver: Deliver) -> None:
        """Add a local receiver; return once the process is in the group on the layer.

        A caller that then reads state (a snapshot) misses nothing sent after this returns.
        """
        async with self.lock:
            self.members.setdefault(group, set()).add(deliver)
            if group not in self.channels:
                # The default prefix: channels_redis reads all of a process's channels in one
                # loop, keyed by the part before "!"; another prefix would need a second one.
                channel = await self.layer.new_channel()
                self.channels[group] = channel
                self.readers[group] = asyncio.create_task(self._read(group, channel))
            # Re-adding refreshes the membership's group_expiry; it costs one Redis call.
            await self.layer.group_add(group, self.channels[group])

    async def unsubscribe(self, group: str, deliver: Deliver) -> None:
        """Remove a local receiver; leave the group when the last one goes."""
        async with self.lock:
            members = self.members.get(group, set())
            members.discard(deliver)
            if members or group not in self.channels:
                return
            channel = self.channels.pop(group)
            self.readers.pop(group).cancel()
            self.members.pop(group, None)
            await self.layer.group_discard(group, channel)

    async def _read(self, group: str, channel: str) -> None:
        while True:
            try:
                message = await self.layer.receive(channel)
            except asyncio.CancelledError:
                raise
            except Exception:  # keep serving the group; the layer reconnects
                log.warning("receive on %s failed", group, exc_info=True)
                await asyncio.sleep(0.5)
                continue
            text = json.dumps(message, cls=DjangoJSONEncoder)
            for deliver in list(self.members.get(group, ())):
                deliver(text)


@per_event_loop
def hub() -> GroupHub:
    """Return the hub of the running event loop (an ASGI process runs one)."""
    return GroupHub()
