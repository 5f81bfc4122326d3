"""A burst of finishes: few leaderboard messages, and every watcher ends with the right board."""

from __future__ import annotations

import json
import threading
import time

import pytest
from websockets.exceptions import ConnectionClosed

from challenges.models import RunStatus
from challenges.selectors.leaderboards import leaderboard_get
from descent.live.ranked import board_apply
from tests.challenges.test_live import submit_over_http, ws
from tests.support import stack
from tests.support.factories import blobs_spec, make_challenge, make_user

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]

BUILDERS = 24
TOP = 10
# Both the publishing worker and the server: boards every 2 s at most, of the top 10.
LIVE = {"LEADERBOARD_UPDATE_SECONDS": "2", "LEADERBOARD_LIVE_TOP": str(TOP)}


class Watcher(threading.Thread):
    """Read one socket until told to stop, holding its board as a client of its protocol."""

    def __init__(self, port: int, path: str) -> None:
        super().__init__(daemon=True)
        self.port, self.path = port, path
        self.protocol_2 = path.endswith("?protocol=2")
        self.stop = threading.Event()
        self.updates = self.partial = self.resyncs = 0
        self.seq: int | None = None
        self.board: list[dict] = []
        self.ready = threading.Event()

    def run(self) -> None:
        with ws(self.port, self.path) as socket:
            while not self.stop.is_set():
                try:
                    message = json.loads(socket.recv(timeout=0.2))
                except TimeoutError:
                    continue
                except ConnectionClosed:
                    return
                kind = message["type"]
                if kind == "leaderboard.snapshot":
                    self.seq, self.board = message["seq"], message["entries"]
                    self.ready.set()
                elif kind == "leaderboard.update":
                    self.updates += 1
                    assert message["seq"] == self.seq + 1, "no gap in a quiet test"
                    entries = message["entries"]
                    if message.get("partial"):
                        self.partial += 1
                        entries = board_apply(self.board, entries, message["removed"],
                                              size=message["size"])
                        assert entries is not None
                    self.seq, self.board = message["seq"], entries


def test_a_burst_of_quick_finishes_sends_few_boards_and_every_watcher_ends_right():
    challenge = make_challenge(slug="live-burst")
    builders = [make_user(f"burst{i:02d}") for i in range(BUILDERS)]
    with stack.celery_worker(concurrency=1, **LIVE), stack.asgi_server(**LIVE) as (_s, port):
        watchers = [Watcher(port, "/ws/challenges/live-burst/?protocol=2"),
                    Watcher(port, "/ws/challenges/live-burst/")]
        for watcher in watchers:
            watcher.start()
            assert watcher.ready.wait(30)
        runs = [submit_over_http(port, builder, challenge,
                                 blobs_spec(epochs=5, seed=i, optimizer={
                                     "name": "adam", "learning_rate": 0.01 + 0.004 * i}))
                for i, builder in enumerate(builders)]
        deadline = time.monotonic() + 120
        while challenge.runs.filter(pk__in=runs, status=RunStatus.SUCCEEDED).count() < len(runs):
            assert time.monotonic() < deadline, "the runs did not finish"
            time.sleep(0.2)
        final = [entry.as_dict() for entry in leaderboard_get(challenge=challenge)]
        final = json.loads(json.dumps(final))  # as the wire has it (dates as text)
        deadline = time.monotonic() + 10  # the last board leaves within the 2 s interval
        while not (watchers[0].board == final[:TOP] and watchers[1].board == final):
            assert time.monotonic() < deadline, "a watcher never got the final board"
            time.sleep(0.1)
        for watcher in watchers:
            watcher.stop.set()
            watcher.join(10)
    assert len(final) == BUILDERS
    compact, legacy = watchers
    # 24 ranked finishes within a few seconds: a handful of boards, not one per finish.
    assert 1 <= compact.updates <= BUILDERS // 3 and compact.updates == legacy.updates
    assert compact.partial >= 1  # after the first, the changed rows only
