"""Publish to the Redis channel layer from sync code: one event loop and connection per process.

`async_to_sync(layer.group_send)` in a worker would make a new event loop — and with it a new
Redis connection pool — for every message. Instead each process keeps one daemon thread
running one loop, and a single sender coroutine drains a queue, so messages leave in the order
they were published and the caller never waits on Redis.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from concurrent.futures import Future
from typing import Any

from channels.layers import get_channel_layer

log = logging.getLogger(__name__)


class Publisher:
    """A per-process sender of channel-layer group messages."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.queue: asyncio.Queue[tuple[str, dict[str, Any], Future | None]] | None = None
        self.layer = get_channel_layer()
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
            try:
                await self.layer.group_send(group, message)
                if done is not None:
                    done.set_result(True)
            except Exception as exc:  # a lost live message must never break training
                log.warning("group_send to %s failed: %s", group, exc)
                if done is not None:
                    done.set_exception(exc)

    def send(self, group: str, message: dict[str, Any]) -> None:
        """Queue a message for `group`; return at once."""
        self.loop.call_soon_threadsafe(self.queue.put_nowait, (group, message, None))

    def send_and_wait(self, group: str, message: dict[str, Any], timeout: float = 5.0) -> None:
        """Queue a message and wait until Redis has it (and everything queued before it)."""
        done: Future = Future()
        self.loop.call_soon_threadsafe(self.queue.put_nowait, (group, message, done))
        done.result(timeout)


_publisher: Publisher | None = None
_publisher_pid: int | None = None
_lock = threading.Lock()


def publisher() -> Publisher:
    """Return this process's publisher, made on first use (and anew in a forked child)."""
    global _publisher, _publisher_pid
    if _publisher is None or _publisher_pid != os.getpid():
        with _lock:
            if _publisher is None or _publisher_pid != os.getpid():
                _publisher = Publisher()
                _publisher_pid = os.getpid()
    return _publisher
