"""Who holds a run, and how its holder survives a blip: the heartbeat thread, liveness, retries.

A training process holds a run through its attempt (the fencing token), `Run.worker_process`
("hostname:pid", `this_process`) and a heartbeat beaten every RUN_HEARTBEAT_BEAT_SECONDS by a
`HeartbeatThread`, whatever an epoch lasts. `run_claim` (services/runs.py) takes a run over
from a holder that is gone (`process_alive` on this host) or silent past the stale mark. The
holder's writes go through `with_db_retry`, so a short database outage costs a pause, not the
run (docs/reliability.md).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.utils import timezone

from challenges.models import Run, RunStatus

log = logging.getLogger(__name__)
T = TypeVar("T")


def this_process() -> str:
    """Name this process as `Run.worker_process` does: "hostname:pid"."""
    return f"{socket.gethostname()}:{os.getpid()}"


def process_alive(pid: int) -> bool:
    """Tell whether process `pid` of this host lives (a zombie, killed but unreaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True  # no /proc: it answered the signal, so it lives


def run_beat(*, run_id: int, attempt: int) -> bool:
    """Beat the heartbeat of an attempt; return False once the attempt no longer holds the run."""
    return bool(
        Run.objects.filter(pk=run_id, attempt=attempt, status=RunStatus.RUNNING)
        .update(heartbeat_at=timezone.now())
    )


class HeartbeatThread(threading.Thread):
    """Beat a run's heartbeat every RUN_HEARTBEAT_BEAT_SECONDS while its attempt trains.

    A thread, not the epoch callback: one epoch of a staff-sized spec can outlast the stale
    mark, and the run must not look dead meanwhile. It stops when asked, or when the attempt
    no longer holds the run (finished, cancelled or taken over). A failing write (the database
    is away) is only logged: the next beat tries again, and a heartbeat that stays silent past
    the stale mark hands the run to the next attempt, which is right if we cannot write.
    """

    def __init__(self, *, run_id: int, attempt: int, every: float | None = None) -> None:
        super().__init__(name=f"heartbeat-run-{run_id}", daemon=True)
        self.run_id, self.attempt = run_id, attempt
        self.every = settings.RUN_HEARTBEAT_BEAT_SECONDS if every is None else every
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(self.every):
                try:
                    if not run_beat(run_id=self.run_id, attempt=self.attempt):
                        return
                except DatabaseError:
                    log.warning("run %s: heartbeat write failed; trying again", self.run_id,
                                exc_info=True)
                    reset_connection()
        finally:
            connection.close()  # this thread's own connection

    def stop(self) -> None:
        """Stop beating (the caller is about to write the attempt's end, or gave it up)."""
        self.stopped.set()
        self.join(timeout=10)


def reset_connection() -> None:
    # A connection that failed (terminated, refused) is dropped, so the next query connects
    # anew; closing one that is already broken may raise again.
    try:
        connection.close()
    except DatabaseError:
        pass


def with_db_retry(write: Callable[[], T], *, what: str,
                  budget: float | None = None) -> T:
    """Call `write` until it succeeds, reconnecting with backoff, for up to RUN_DB_RETRY_SECONDS.

    For a worker's writes (epoch flushes, a run's end): a short database outage
    (`pg_terminate_backend`, a restart, connection refused) costs a pause, not the run. `write`
    must be all-or-nothing (one transaction), so trying it again never half-writes. The last
    error is raised once the budget is spent.
    """
    deadline = time.monotonic() + (settings.RUN_DB_RETRY_SECONDS if budget is None else budget)
    delay = 0.05
    while True:
        try:
            return write()
        except (OperationalError, InterfaceError):
            if connection.in_atomic_block or time.monotonic() + delay > deadline:
                raise
            log.warning("%s: database write failed; retrying in %.2f s", what, delay,
                        exc_info=True)
            reset_connection()
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
