"""After its clients leave, an ASGI process holds no consumer task: SIGTERM stops it at once."""

from __future__ import annotations

import contextlib
import json
import signal
import time

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from websockets.sync.client import connect

from challenges.services.live import challenge_group
from descent.live.presence import presence_count
from descent.redis import get_redis
from tests.support import stack
from tests.support.factories import make_challenge, make_run, make_user

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]

# As many watchers from one address as the per-address cap lets in, less a margin for the
# sockets of a test before whose disconnects are still being cleaned up.
WATCHERS = settings.WS_MAX_CONNECTIONS_PER_ADDRESS - 10


def test_after_every_watcher_left_the_server_has_no_consumer_task_and_stops_on_sigterm():
    challenge = make_challenge(slug="leak-board")
    make_run(challenge, make_user("ada"), val_score=0.8)
    with stack.asgi_server() as (server, port):
        url = f"ws://127.0.0.1:{port}/ws/challenges/leak-board/"
        with contextlib.ExitStack() as opened:
            sockets = [opened.enter_context(
                connect(url, origin=f"http://127.0.0.1:{port}", open_timeout=10))
                for _ in range(WATCHERS)]
            for socket in sockets:
                while json.loads(socket.recv(timeout=30))["type"] != "leaderboard.snapshot":
                    pass
            for index, socket in enumerate(sockets):
                if index % 3 == 0:
                    socket.send(json.dumps({"type": "resync"}))  # leave with a request in flight
                socket.close()
        # Each consumer that left removed its presence member and its hub membership; one
        # whose disconnect never ran would keep refreshing its member, and the hub its group.
        deadline = time.monotonic() + 10
        while async_to_sync(presence_count)("challenge:leak-board") or get_redis().zcard(
                get_channel_layer()._group_key(challenge_group("leak-board"))):
            assert time.monotonic() < deadline, "consumers outlived their sockets"
            time.sleep(0.2)
        # Uvicorn without --timeout-graceful-shutdown waits for every connection's task: one
        # that outlived its socket keeps the process alive.
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except Exception:
            pytest.fail("the server did not stop within 15 s of SIGTERM after its clients left")
    log = (settings.VAR_DIR / "test-logs" / f"uvicorn-{port}.log").read_text()
    assert "running task" not in log and "Waiting for background tasks" not in log, log[-2000:]
