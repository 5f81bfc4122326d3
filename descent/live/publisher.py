"""Publish live messages from sync code, after the commit they announce.

Every live message goes out through `publish_on_commit` (or, for a message numbered by a
counter, `publish_seq_on_commit`; for one that describes the latest state and may be
coalesced, `publish_coalesced_on_commit`), as Zulip's `send_event_on_commit` does: a broadcast never
announces what a rollback undoes, and outside a transaction it goes at once. Publishing never
writes to the database; a service writes, then publishes.

Underneath, `async_to_sync(layer.group_send)` in a worker would make a new event loop — and
with it a new Redis connection pool — for every message. Instead each process keeps one daemon
thread running one loop, and a single sender coroutine drains a queue, so messages leave in
the order they were published and the caller never waits on Redis.

A message that the hub batches anyway (it carries a `batch` spec: run progress and finishes)
is held up to LIVE_PUBLISH_LINGER_SECONDS and goes out with the group's others in one
`live.envelope`: in a burst each ASGI process then receives a few layer messages a second per
challenge instead of two per finishing run — each receive costs channels_redis four Redis
round trips, and under the baseline burst the servers' readers fell seconds behind. A
message without `batch` sends what its group holds first, so the order per group stands.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

from descent.live.coalesce import coalescer
from descent.live.process_local import per_process
from descent.redis import get_redis

log = logging.getLogger(__name__)

Message = dict[str, Any]
# Several messages to one group in one layer message; the hub (descent/live/hub.py) unpacks it.
ENVELOPE = "live.envelope"
FLUSH: Message = {"type": "live.flush"}  # a marker on the sender's queue, never sent


def publish_on_commit(group: str, message: Message | Callable[[], Message]) -> None:
    """Send `message` to `group` once the current transaction commits, never if it rolls back.

    Pass a function instead of a dict when the message must read the committed state (an
    unread count): it is called after the commit, in the caller's thread. The caller never
    waits on Redis, and a failure is logged, not raised: the committed work stands, and a
    client catches up from its next snapshot.
    """

    def send() -> None:
        publisher().send(group, message() if callable(message) else message)

    transaction.on_commit(send, robust=True)


def publish_seq_on_commit(group: str, build: Callable[[int], Message], *, seq_key: str,
                          lock_key: str) -> None:
    """After commit, send `build(seq)` to `group`, `seq` being the next value of `seq_key`.

    The counter is bumped, the message built and handed to Redis under the `lock_key` lock,
    so a higher seq never carries older state than a lower one: each holder builds from the
    database after the one before it let go. A rollback bumps nothing and sends nothing.
    """

    transaction.on_commit(
        lambda: publish_seq_now(group, build, seq_key=seq_key, lock_key=lock_key), robust=True
    )


def publish_seq_now(group: str, build: Callable[[int], Message], *, seq_key: str,
                    lock_key: str) -> Message:
    """Send `build(seq)` to `group` now, under the `lock_key` lock; return the message.

    For code that already runs after the commit (a coalesced job).
    """
    redis = get_redis()
    with redis.lock(lock_key, timeout=10, blocking_timeout=10):
        seq = redis.incr(seq_key)
        message = build(seq)
        publisher().send_and_wait(group, message)
    return message


def publish_coalesced_on_commit(key: str, job: Callable[[], None]) -> None:
    """After commit, have this process's coalescer run `job` for `key` (descent/live/coalesce.py).

    For a message that describes the latest state (a leaderboard): many marks within the
    coalescer's interval become one run of the last job, in the coalescer's thread; the
    caller returns at once. A rollback marks nothing.
    """
    transaction.on_commit(lambda: coalescer().mark(key, job), robust=True)


class Publisher:
    """A per-process sender of channel-layer group messages."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.queue: asyncio.Queue[tuple[str, Message, Future | None]] | None = None
        self.layer = get_channel_layer()
        self.held: dict[str, list[Message]] = {}  # group → batchable messages held back
        ready = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(ready,), name="live-publisher",
                                       daemon=True)
        self.thread.start()
        ready.wait()

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        self.queue = asyncio.Queue()
        self.loop.create_task(self._sender())
        ready.set()
        self.loop.run_forever()

    async def _sender(self) -> None:
        assert self.queue is not None
        while True:
            group, message, done = await self.queue.get()
            if "batch" in message and done is None:
                self._hold(group, message)
                continue
            await self._flush(group)  # what this group holds goes first: order per group
            await self._group_send(group, message, done)

    def _hold(self, group: str, message: Message) -> None:
        """Keep a batchable message a moment, to go out with the group's next ones."""
        held = self.held.setdefault(group, [])
        held.append(message)
        if len(held) == 1:
            self.loop.call_later(settings.LIVE_PUBLISH_LINGER_SECONDS,
                                 lambda: self.queue.put_nowait((group, FLUSH, None)))

    async def _flush(self, group: str) -> None:
        held = self.held.pop(group, [])
        if len(held) == 1:
            await self._group_send(group, held[0], None)
        elif held:
            await self._group_send(group, {"type": ENVELOPE, "messages": held}, None)

    async def _group_send(self, group: str, message: Message, done: Future | None) -> None:
        if message is FLUSH:
            return
        try:
            await self.layer.group_send(group, message)
            if done is not None:
                done.set_result(True)
        except Exception as exc:  # a lost live message must never break training
            log.warning("group_send to %s failed: %s", group, exc)
            if done is not None:
                done.set_exception(exc)

    def send(self, group: str, message: Message) -> None:
        """Queue a message for `group`; return at once."""
        self.loop.call_soon_threadsafe(self.queue.put_nowait, (group, message, None))

    def send_and_wait(self, group: str, message: Message, timeout: float = 5.0) -> None:
        """Queue a message and wait until Redis has it (and everything queued before it)."""
        done: Future = Future()
        self.loop.call_soon_threadsafe(self.queue.put_nowait, (group, message, done))
        done.result(timeout)


@per_process
def publisher() -> Publisher:
    """Return this process's publisher, made on first use (and anew in a forked child)."""
    return Publisher()
