"""One channel-layer subscription per group per ASGI process, fanned out to local sockets.

Joining every WebSocket to a Redis group makes each broadcast one queue entry, one Redis
round trip and one decode per watcher (channels_redis stores a copy per member channel):
at a thousand watchers of one process that alone took ~150-200 ms per message. Here a
process subscribes once per group; each message is received once, encoded to JSON once per
form, and handed to every local connection's outbox, which a per-connection writer drains,
so a slow client never delays the others (its outbox overflows and it resyncs on the seq gap).

Forms ("variants"). A member subscribes with a variant: "" gets every message as published;
a named variant (the challenge stream's protocol "2") gets `message["variants"][name]` when
the message carries one (a compact form of the same news), and takes part in two things the
plain form does not have:

- batching: a message with `"batch": {"variant": V, "type": T, "key": K, "list": L}` reaches
  members of variant V not one by one but, at most every BATCH_SECONDS, as one
  `{"type": T, L: [...]}` holding the latest message of each `K` (the rest of the message
  without its `type`). A later unbatched message about a pending key (`run.finished` after
  its `run.progress`) flushes the batch first, so nothing about one key arrives out of order;
- heartbeats: a group subscribed with a `heartbeat` source tells its named-variant members
  the highest `seq` the process fanned out, once updates pause (see `_beat`): a client whose
  last numbered message was dropped (its outbox was full) learns the number and resyncs; if
  the source (Redis) stays ahead of the process for several beats, the process itself lost
  the message (the layer's capacity or expiry) and the source's number is sent instead.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from channels.layers import get_channel_layer
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

from descent.live.process_local import per_event_loop
from descent.live.publisher import ENVELOPE

log = logging.getLogger(__name__)

Deliver = Callable[[str], None]
Heartbeat = Callable[[], Awaitable[dict[str, Any] | None]]
QUIET_BEATS = 5  # heartbeats every beat for this many beats after the last update
IDLE_BEATS = 15  # then one every this many beats
# The source ahead of what this process fanned out for this long: the process lost it (the
# layer drops what waited 10 s, its `expiry`; before that a message may just be late).
LAGGING_BEATS = 10


def _encode(message: dict[str, Any]) -> str:
    return json.dumps(message, cls=DjangoJSONEncoder)


class GroupHub:
    """This process's subscriptions: group → its local deliver callbacks and their variants."""

    def __init__(self) -> None:
        self.layer = get_channel_layer()
        self.members: dict[str, dict[Deliver, str]] = {}
        self.channels: dict[str, str] = {}
        self.readers: dict[str, asyncio.Task] = {}
        self.beats: dict[str, asyncio.Task] = {}
        # group → batch type → {"spec": ..., "items": {key: latest}}
        self.batches: dict[str, dict[str, dict[str, Any]]] = {}
        self.seqs: dict[str, int] = {}  # group → highest `seq` fanned out
        self.updated: dict[str, float] = {}  # group → when that seq was fanned out
        self.flushers: dict[str, asyncio.Task] = {}
        # One lock for the hub, not one per group: every run page has a group of its own,
        # and a lock per group would outlive it. Subscribing is rare next to messages.
        self.lock = asyncio.Lock()

    async def subscribe(self, group: str, deliver: Deliver, *, variant: str = "",
                        heartbeat: Heartbeat | None = None) -> None:
        """Add a local receiver; return once the process is in the group on the layer.

        A caller that then reads state (a snapshot) misses nothing sent after this returns.
        """
        async with self.lock:
            self.members.setdefault(group, {})[deliver] = variant
            if group not in self.channels:
                # The default prefix: channels_redis reads all of a process's channels in one
                # loop, keyed by the part before "!"; another prefix would need a second one.
                channel = await self.layer.new_channel()
                self.channels[group] = channel
                self.readers[group] = asyncio.create_task(self._read(group, channel))
            if heartbeat is not None and group not in self.beats:
                self.beats[group] = asyncio.create_task(self._beat(group, heartbeat))
            # Re-adding refreshes the membership's group_expiry; it costs one Redis call.
            await self.layer.group_add(group, self.channels[group])

    async def unsubscribe(self, group: str, deliver: Deliver) -> None:
        """Remove a local receiver; leave the group when the last one goes."""
        async with self.lock:
            members = self.members.get(group, {})
            members.pop(deliver, None)
            if members or group not in self.channels:
                return
            channel = self.channels.pop(group)
            self.members.pop(group, None)
            self.batches.pop(group, None)
            self.seqs.pop(group, None)
            self.updated.pop(group, None)
            # Every task of the group goes with its last member: none may outlive it.
            for tasks in (self.readers, self.beats, self.flushers):
                task = tasks.pop(group, None)
                if task is not None:
                    task.cancel()
            await self.layer.group_discard(group, channel)

    def tasks(self) -> int:
        """Count the hub's running tasks (readers, heartbeats, batch flushers)."""
        return sum(not task.done() for tasks in (self.readers, self.beats, self.flushers)
                   for task in tasks.values())

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
            try:
                if message.get("type") == ENVELOPE:  # several, from one publisher (publisher.py)
                    for inner in message.get("messages", ()):
                        self.dispatch(group, inner)
                else:
                    self.dispatch(group, message)
            except Exception:  # one bad message must not end the group's stream
                log.exception("could not fan out a message on %s", group)

    def dispatch(self, group: str, message: dict[str, Any]) -> None:
        """Hand `message` to every local member of `group`, each in its variant's form."""
        message = dict(message)
        variants: dict[str, dict[str, Any]] = message.pop("variants", None) or {}
        batch: dict[str, Any] | None = message.pop("batch", None)
        members = self.members.get(group, {})
        if isinstance(message.get("seq"), int):
            self.seqs[group] = max(message["seq"], self.seqs.get(group, 0))
            self.updated[group] = time.monotonic()
        texts: dict[str, str] = {}
        for deliver, variant in list(members.items()):
            if batch is not None and variant == batch["variant"]:
                continue
            if variant not in texts:
                if variant and batch is None:
                    self._flush_before(group, message)
                texts[variant] = _encode(variants.get(variant, message) if variant else message)
            deliver(texts[variant])
        if batch is not None and batch["variant"] in members.values():
            self._batch(group, batch, message)

    def _batch(self, group: str, spec: dict[str, Any], message: dict[str, Any]) -> None:
        pending = self.batches.setdefault(group, {}).setdefault(
            spec["type"], {"spec": spec, "items": {}})
        item = {key: value for key, value in message.items() if key != "type"}
        pending["items"][message.get(spec["key"])] = item
        if group not in self.flushers or self.flushers[group].done():
            self.flushers[group] = asyncio.create_task(self._flush_later(group))

    async def _flush_later(self, group: str) -> None:
        await asyncio.sleep(settings.LIVE_BATCH_SECONDS)
        self._flush(group)

    def _flush_before(self, group: str, message: dict[str, Any]) -> None:
        pending = self.batches.get(group, {})
        if any(message.get(batch["spec"]["key"]) in batch["items"]
               for batch in pending.values()):
            flusher = self.flushers.pop(group, None)
            if flusher is not None:
                flusher.cancel()
            self._flush(group)

    def _flush(self, group: str) -> None:
        # Lower `order` first: a run's progress before its finish in the same flush.
        pending = self.batches.pop(group, {})
        for batch in sorted(pending.values(), key=lambda batch: batch["spec"].get("order", 0)):
            spec = batch["spec"]
            text = _encode({"type": spec["type"], spec["list"]: list(batch["items"].values())})
            for deliver, variant in list(self.members.get(group, {}).items()):
                if variant == spec["variant"]:
                    deliver(text)

    async def _beat(self, group: str, source: Heartbeat) -> None:
        """Tell named-variant members the group's seq once updates pause.

        Only when none was fanned out for a beat (a stream of updates shows a lost one by
        its gap already; the last one of a burst is the one a gap cannot show), every beat
        for QUIET_BEATS beats, then every IDLE_BEATS. The seq sent is the highest this process
        fanned out — unless the source (Redis) has said more for LAGGING_BEATS beats: then the
        process itself lost that update, and its clients must resync.
        """
        beat = settings.LIVE_HEARTBEAT_SECONDS
        behind_since: float | None = None
        last_sent = 0.0
        while True:
            await asyncio.sleep(beat)
            try:
                latest = await source()
            except asyncio.CancelledError:
                raise
            except Exception:  # a missed beat is made up by the next
                log.warning("heartbeat source of %s failed", group, exc_info=True)
                continue
            now = time.monotonic()
            fanned = self.seqs.get(group)
            if latest is None or fanned is None:
                continue
            seq = fanned
            if latest["seq"] > fanned:
                behind_since = behind_since if behind_since is not None else now
                if now - behind_since >= LAGGING_BEATS * beat:
                    seq = latest["seq"]
            else:
                behind_since = None
            quiet_for = now - self.updated.get(group, 0.0)
            if quiet_for < beat or (quiet_for > QUIET_BEATS * beat
                                    and now - last_sent < IDLE_BEATS * beat
                                    and seq == fanned):
                continue
            last_sent = now
            text = _encode({**latest, "seq": seq})
            for deliver, variant in list(self.members.get(group, {}).items()):
                if variant:
                    deliver(text)


@per_event_loop
def hub() -> GroupHub:
    """Return the hub of the running event loop (an ASGI process runs one)."""
    return GroupHub()

