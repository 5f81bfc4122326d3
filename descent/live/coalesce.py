"""Run a job per key at most once an interval, from one thread per process: the last always.

A burst of finishes must not publish a whole leaderboard per finish: the publishing process
marks the challenge dirty (microseconds, in the caller's thread) and one sender thread runs
the key's job — build and publish the board — on the leading edge if the key has been quiet
for `interval`, else once the interval since its last run has passed (trailing edge). Marks
that arrive while a job waits or runs coalesce into one more run, so the state after the
last mark is always published, at most `interval` plus one job later.

The job runs in the sender thread, never in the caller's: a worker's training loop never
waits on the lock, the query or Redis. Django opens that thread its own database connection;
the job closes it when done (`django.db.close_old_connections` at both ends).
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections.abc import Callable, Hashable

from django.conf import settings
from django.db import close_old_connections

from descent.live.process_local import per_process

log = logging.getLogger(__name__)

Job = Callable[[], None]


class Coalescer:
    """One daemon thread that runs each key's latest job at most once per `interval`."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.pending: dict[Hashable, Job] = {}
        self.last_run: dict[Hashable, float] = {}
        self.running = False
        self.condition = threading.Condition()
        self.thread = threading.Thread(target=self._run, name="live-coalescer", daemon=True)
        self.thread.start()

    def mark(self, key: Hashable, job: Job) -> None:
        """Ask for `job` to run for `key`; it replaces a job of the same key still waiting."""
        with self.condition:
            self.pending[key] = job
            self.condition.notify()

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait until nothing is pending or running; return False on timeout."""
        deadline = time.monotonic() + timeout
        with self.condition:
            while self.pending or self.running:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.condition.wait(min(left, 0.05))
        return True

    def _next(self) -> tuple[Hashable, Job]:
        with self.condition:
            while True:
                now = time.monotonic()
                due = {key: self.last_run.get(key, -self.interval) + self.interval
                       for key in self.pending}
                ready = [key for key, at in due.items() if at <= now]
                if ready:
                    key = min(ready, key=due.__getitem__)
                    self.running = True
                    self.last_run[key] = now
                    return key, self.pending.pop(key)
                self.condition.wait(min(due.values()) - now if due else None)

    def _run(self) -> None:
        while True:
            key, job = self._next()
            try:
                close_old_connections()
                job()
            except Exception:  # a failed publish is logged; the next mark tries again
                log.exception("coalesced job for %s failed", key)
            finally:
                close_old_connections()
                with self.condition:
                    self.running = False
                    self.condition.notify_all()


@per_process
def coalescer() -> Coalescer:
    """Return this process's coalescer (made on first use, anew in a forked child)."""
    made = Coalescer(settings.LEADERBOARD_UPDATE_SECONDS)
    # A process that exits normally publishes what it still owes (a Celery child that is
    # killed cannot: its last board goes out with the next finish, or the next snapshot).
    atexit.register(made.drain, 2.0)
    return made
