"""A member of a channel-layer group inside the test process: what an ASGI process would get."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from channels.layers import get_channel_layer

from descent.live.publisher import publisher

T = TypeVar("T")
MARKER = {"type": "test.marker"}


class GroupWatcher:
    """One channel in a group on the real (Redis) channel layer, read from a loop of its own.

    Its own loop in a thread, because the layer's receive buffers belong to the loop that
    made the channel (`async_to_sync` would make a new loop per call).
    """

    def __init__(self, group: str) -> None:
        self.layer = get_channel_layer()
        self.group = group
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.channel = self._run(self.layer.new_channel())
        self._run(self.layer.group_add(self.group, self.channel))

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(30)

    def received(self, timeout: float = 30.0) -> list[dict[str, Any]]:
        """Return every message this process has published to the group so far, in order.

        The process's publisher sends in order, so once a marker sent now arrives, everything
        published before it has arrived or never will: no waiting for a quiet spell.
        """
        publisher().send(self.group, MARKER)

        async def drain() -> list[dict[str, Any]]:
            messages = []
            while (message := await self.layer.receive(self.channel)) != MARKER:
                messages.append(message)
            return messages

        return self._run(asyncio.wait_for(drain(), timeout))

    def close(self) -> None:
        """Leave the group and stop the loop."""
        try:
            self._run(self.layer.group_discard(self.group, self.channel))
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)


@contextmanager
def watch_group(group: str) -> Iterator[GroupWatcher]:
    """Join `group` for the block; yield the watcher."""
    watcher = GroupWatcher(group)
    try:
        yield watcher
    finally:
        watcher.close()
