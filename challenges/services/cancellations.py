"""Cancel requests, delivered to the training loop in-process.

`run_cancel` publishes the run id on a Redis pub/sub channel; each worker process keeps one
listener thread that adds it to an in-memory set, so the per-epoch check is a set lookup, not
a Redis round trip (which would cost more than a small epoch). A request published before a
process listens — or while Redis was away — is still seen: the run's database flag is read
whenever a flush finds it. The listener outlives Redis restarts: when its connection fails it
subscribes again, with backoff, for as long as the process lives.
"""

from __future__ import annotations

import logging
import threading

from redis.exceptions import RedisError

from descent.live.process_local import per_process
from descent.redis import get_redis

log = logging.getLogger(__name__)

CHANNEL = "descent:run-cancel"
RECONNECT_FIRST_DELAY = 0.1
RECONNECT_MAX_DELAY = 5.0


class CancelWatch:
    """This process's listener: the ids of runs someone asked to cancel."""

    def __init__(self, *, wait_subscribed: float = 2.0) -> None:
        self.cancelled: set[int] = set()
        self.subscribed = threading.Event()
        self.subscriptions = 0  # how many times it (re)subscribed: 1 while Redis never failed
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._listen, name="cancel-listener", daemon=True)
        self.thread.start()
        # As the synchronous subscribe did: a cancel published right after this returns is
        # heard. With Redis down it does not block training; the database flag covers it.
        self.subscribed.wait(wait_subscribed)

    def _listen(self) -> None:
        delay = RECONNECT_FIRST_DELAY
        while not self.stopped.is_set():
            pubsub = get_redis().pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.subscribe(CHANNEL)
                self.subscriptions += 1
                self.subscribed.set()
                delay = RECONNECT_FIRST_DELAY
                while not self.stopped.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    if message is not None and message.get("type") == "message":
                        self.cancelled.add(int(message["data"]))
            except (RedisError, OSError, ValueError) as exc:
                self.subscribed.clear()
                log.warning("cancel listener lost Redis (%s); subscribing again in %.1f s",
                            exc, delay)
            finally:
                try:
                    pubsub.close()
                except (RedisError, OSError):
                    pass
            self.stopped.wait(delay)
            delay = min(delay * 2, RECONNECT_MAX_DELAY)

    def requested(self, run_id: int) -> bool:
        return run_id in self.cancelled

    def stop(self) -> None:
        """Stop listening (tests; a worker's listener lives as long as the process)."""
        self.stopped.set()
        self.thread.join(timeout=5)


@per_process
def cancel_watch() -> CancelWatch:
    """Return this process's watch, started on first use (and anew in a forked child)."""
    return CancelWatch()


def cancel_announce(run_id: int) -> None:
    """Tell every worker process that `run_id` should stop."""
    get_redis().publish(CHANNEL, str(run_id))
