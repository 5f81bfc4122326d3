"""Make a thing once per process: on first use, anew in a forked child, safely from threads.

A Celery prefork child inherits its parent's module globals but none of its threads: a
publisher or a pub/sub listener made in the parent would be a husk in the child, its thread
gone. So every process-wide thing — the publisher, the cancel watch, the Redis client, and
per event loop the group hub and the presence client — is made through these two decorators
instead of a hand-written `_x is None or _x_pid != os.getpid()` global:

    @per_process
    def publisher() -> Publisher:
        return Publisher()
"""

from __future__ import annotations

import asyncio
import functools
import os
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def per_process(factory: Callable[[], T]) -> Callable[[], T]:
    """Wrap `factory` so that it runs once per process and its result is returned after.

    Thread-safe: two threads asking at once get the same thing, made once. A forked child
    makes its own on first use (the parent's may hold threads the child does not have).
    """
    lock = threading.Lock()
    made: dict[int, T] = {}  # pid → the thing; one entry, replaced after a fork

    def _forget_in_child() -> None:
        # A lock held by another thread at the moment of the fork stays held in the child.
        nonlocal lock
        lock = threading.Lock()
        made.clear()

    os.register_at_fork(after_in_child=_forget_in_child)

    @functools.wraps(factory)
    def get() -> T:
        pid = os.getpid()
        try:
            return made[pid]
        except KeyError:
            pass
        with lock:
            if pid not in made:
                made.clear()
                made[pid] = factory()
            return made[pid]

    return get


def per_event_loop(factory: Callable[[], T]) -> Callable[[], T]:
    """Wrap `factory` so that it runs once per running event loop of this process.

    For things bound to a loop (tasks, asyncio locks, asyncio Redis connections). An ASGI
    server runs one loop; `async_to_sync` makes a new one per call, so a loop's thing is
    dropped once its loop is closed (and a loop is never mistaken for a closed one that had
    the same `id`, since a live entry holds its loop).
    """
    registry = per_process(dict)  # id(loop) → (loop, thing)

    @functools.wraps(factory)
    def get() -> T:
        loop = asyncio.get_running_loop()
        made: dict[int, tuple[asyncio.AbstractEventLoop, T]] = registry()
        entry = made.get(id(loop))
        if entry is None or entry[0] is not loop:
            for key, (other, _thing) in list(made.items()):
                if other.is_closed():
                    made.pop(key, None)
            entry = made[id(loop)] = (loop, factory())
        return entry[1]

    return get
