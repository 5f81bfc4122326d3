"""Cancel requests, delivered to the training loop in-process.

`run_cancel` publishes the run id on a Redis pub/sub channel; each worker process keeps one
listener thread that adds it to an in-memory set, so the per-epoch check is a set lookup, not
a Redis round trip (which would cost more than a small epoch). A request published before a
process listens is still seen: the run's database flag is read whenever a flush finds it.
"""

from __future__ import annotations

from descent.live.process_local import per_process
from descent.redis import get_redis

CHANNEL = "descent:run-cancel"


class CancelWatch:
    """This process's listener: the ids of runs someone asked to cancel."""

    def __init__(self) -> None:
        self.cancelled: set[int] = set()
        self.pubsub = get_redis().pubsub(ignore_subscribe_messages=True)
        self.pubsub.subscribe(**{CHANNEL: self._on_message})
        self.thread = self.pubsub.run_in_thread(sleep_time=1.0, daemon=True)

    def _on_message(self, message: dict) -> None:
        self.cancelled.add(int(message["data"]))

    def requested(self, run_id: int) -> bool:
        return run_id in self.cancelled


@per_process
def cancel_watch() -> CancelWatch:
    """Return this process's watch, started on first use (and anew in a forked child)."""
    return CancelWatch()


def cancel_announce(run_id: int) -> None:
    """Tell every worker process that `run_id` should stop."""
    get_redis().publish(CHANNEL, str(run_id))
