"""WebSocket spectators of one challenge, in a process of their own, as browsers behave.

Each spectator watches `/ws/challenges/<slug>/`, follows `seq` like `static/challenges/live.js`
(apply the next one, drop old ones, ask for a snapshot after a gap, reconnect if none comes in
10 s, reconnect with jittered backoff when the socket closes) and records every message's
arrival. They run in a child process so that parsing thousands of large leaderboard messages
never delays the HTTP users' clock in the parent (and the other way round).

Protocol over the pipe: the child sends ("ready", ConnectReport) once every spectator has its
first snapshot (or the connect timeout passed); the parent sends ("final", board, last_run_end,
tail_timeout) or ("stop",); the child answers ("result", SpectatorsReport) and exits.
"""

from __future__ import annotations

import array
import asyncio
import contextlib
import json
import random
import resource
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench.load.tally import (
    Board,
    SeqFollower,
    board_key,
    held_final_after,
    percentile,
    runs_duplicated,
)

BACKOFF_FIRST = 0.5
BACKOFF_MAX = 30.0
RESYNC_TIMEOUT = 10.0
RESYNC_REQUEST = json.dumps({"type": "resync"})


@dataclass(frozen=True)
class SpectatorsConfig:
    """Where the spectators connect and how many; ws URLs are spread round-robin."""

    ws_urls: tuple[str, ...]  # e.g. ("ws://127.0.0.1:8001/ws/challenges/load-blobs/",)
    origins: tuple[str, ...]  # the matching http origins (AllowedHostsOriginValidator)
    count: int
    connect_batch: int = 50
    open_timeout: float = 30.0
    connect_timeout: float = 180.0  # for all of them to have a first snapshot
    deflate: bool = True
    protocol: str = "2"  # "2": partial updates, batched progress, seq heartbeat; "": the first


@dataclass
class ConnectReport:
    """How the first connection of every spectator went."""

    spectators: int
    connected: int
    seconds: float
    errors: list[str] = field(default_factory=list)


@dataclass
class SpectatorsReport:
    """Everything the spectators saw, summed or summarised over all of them."""

    spectators: int
    connections: int = 0
    spectators_reconnected: int = 0
    reconnects: int = 0
    reconnects_after_close: int = 0  # closed or lost by the other side, not by us
    closes: dict[str, int] = field(default_factory=dict)
    gaps: int = 0
    skipped: int = 0
    resyncs: int = 0
    resync_p50: float = float("nan")
    resync_p99: float = float("nan")
    resync_timeouts: int = 0
    resyncs_unfinished: int = 0
    snapshot_wait_p50: float = float("nan")  # connect → snapshot, every connection
    snapshot_wait_p99: float = float("nan")
    progress: int = 0
    progress_batches: int = 0  # runs.progress messages (protocol 2), each holding several
    heartbeat_resyncs: int = 0
    bad_deltas: int = 0
    top: int | None = None  # protocol 2: the rows a board message covers
    progress_p50_ms: float = float("nan")
    progress_p99_ms: float = float("nan")
    progress_max_ms: float = float("nan")
    messages: int = 0
    bytes_received: int = 0
    holding_final: int = 0
    holding_final_reconnected: int = 0  # of those that reconnected at least once
    held_final_p50: float = float("nan")  # seconds after the last run's end
    held_final_max: float = float("nan")
    tail_waited: float = 0.0
    duplicated_runs: list[int] = field(default_factory=list)
    cpu_percent: float = 0.0
    loop_lag_p99_ms: float = float("nan")
    loop_lag_max_ms: float = float("nan")
    errors: list[str] = field(default_factory=list)


class Spectator:
    """One watcher: keeps a socket open to its server, reconnecting as a browser does."""

    def __init__(self, url: str, origin: str, config: SpectatorsConfig) -> None:
        self.url, self.origin, self.config = url, origin, config
        self.follower = SeqFollower()
        self.ws: Any = None
        self.connections = 0
        self.closed_by_peer = 0
        self.closes: Counter[str] = Counter()
        self.snapshot_waits: list[float] = []
        self.latencies_ms = array.array("d")  # hundreds of thousands: 8 bytes each
        self.finished_twice: set[int] = set()  # runs one connection got two run.finished for
        self.messages = 0
        self.bytes = 0
        self.first_snapshot = asyncio.Event()
        self.top: int | None = None  # protocol 2: boards cover the top rows only
        self.batches = 0
        self.errors: list[str] = []
        self.stopping = False

    async def run(self) -> None:
        """Connect, read, and reconnect after every close until stopped."""
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed

        attempt = 0
        url = f"{self.url}?protocol=2" if self.config.protocol == "2" else self.url
        while not self.stopping:
            started = time.time()
            waiting_snapshot = True
            seen: set[int] = set()  # runs this connection saw finish
            try:
                async with connect(
                    url, origin=self.origin, open_timeout=self.config.open_timeout,
                    ping_interval=None, max_size=None, proxy=None,
                    compression="deflate" if self.config.deflate else None,
                ) as ws:
                    self.ws = ws
                    self.connections += 1
                    async for raw in ws:
                        now = time.time()
                        attempt = 0  # a message resets the backoff, as in live.js
                        self.messages += 1
                        self.bytes += len(raw)
                        message = json.loads(raw)
                        kind = message.get("type")
                        if kind == "leaderboard.snapshot":
                            self.top = message.get("top")
                            self.follower.snapshot(message["seq"], board_key(message["entries"]),
                                                   now, rows=list(message["entries"]))
                            if waiting_snapshot:
                                self.snapshot_waits.append(now - started)
                                waiting_snapshot = False
                                self.first_snapshot.set()
                        elif kind == "leaderboard.update":
                            if self.follower.update_message(message, now) == "resync":
                                await ws.send(RESYNC_REQUEST)
                        elif kind == "leaderboard.seq":
                            if self.follower.heartbeat(message["seq"], now) == "resync":
                                await ws.send(RESYNC_REQUEST)
                        elif kind == "run.progress":
                            if message.get("at"):
                                self.latencies_ms.append((now - message["at"]) * 1000)
                        elif kind == "runs.progress":
                            self.batches += 1
                            for item in message["runs"]:
                                if item.get("at"):
                                    self.latencies_ms.append((now - item["at"]) * 1000)
                        elif kind == "run.finished":
                            if message["run"] in seen:
                                self.finished_twice.add(message["run"])
                            seen.add(message["run"])
                        elif kind == "runs.finished":
                            for item in message["runs"]:
                                if item["run"] in seen:
                                    self.finished_twice.add(item["run"])
                                seen.add(item["run"])
                    code = ws.close_code
            except ConnectionClosed as closed:
                code = closed.rcvd.code if closed.rcvd is not None else None
            except (OSError, TimeoutError) as exc:
                code = None
                self._error(f"connect: {exc!r}")
            except Exception as exc:  # a bad handshake (HTTP 502 from a proxy), a bad frame
                code = None
                self._error(f"{type(exc).__name__}: {exc}")
            finally:
                self.ws = None
            if self.stopping:
                break
            # No close code: the connection was lost without a close frame (a killed server).
            self.closes["lost" if code is None else str(code)] += 1
            if code != 4000:  # 4000: our own close after a resync timed out
                self.closed_by_peer += 1
            if code == 4404:
                self._error("closed with 4404: no such challenge")
                break
            ceiling = min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** attempt)
            attempt += 1
            await asyncio.sleep(ceiling / 2 + random.random() * ceiling / 2)  # noqa: S311 (jitter)

    def _error(self, text: str) -> None:
        if len(self.errors) < 3:
            self.errors.append(text[:200])

    async def check_resync(self, now: float) -> None:
        """Reconnect when the snapshot asked for is overdue (live.js closes with 4000)."""
        if self.ws is not None and self.follower.resync_overdue(now, RESYNC_TIMEOUT):
            self.follower.resync_abandoned()
            with contextlib.suppress(Exception):
                await self.ws.close(code=4000, reason="resync timed out")

    def target(self, final: Board) -> Board:
        """The part of the final board this spectator is sent: the top rows in protocol 2."""
        return final[:self.top] if self.top else final

    async def stop(self) -> None:
        self.stopping = True
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()


async def _lag_monitor(samples: list[float], every: float = 0.1) -> None:
    """Record how late the event loop wakes up: the client's own backlog."""
    while True:
        started = time.monotonic()
        await asyncio.sleep(every)
        samples.append((time.monotonic() - started - every) * 1000)


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _watch(conn: Any, config: SpectatorsConfig) -> None:
    loop = asyncio.get_running_loop()
    lags: list[float] = []
    monitor = asyncio.create_task(_lag_monitor(lags))
    cpu_started, wall_started = _cpu_seconds(), time.monotonic()
    spectators = [
        Spectator(config.ws_urls[i % len(config.ws_urls)], config.origins[i % len(config.origins)],
                  config)
        for i in range(config.count)
    ]
    tasks: list[asyncio.Task] = []
    started = time.monotonic()
    deadline = started + config.connect_timeout
    for first in range(0, len(spectators), config.connect_batch):
        batch = spectators[first:first + config.connect_batch]
        tasks += [asyncio.create_task(s.run()) for s in batch]
        waits = [asyncio.create_task(s.first_snapshot.wait()) for s in batch]
        await asyncio.wait(waits, timeout=max(0.1, deadline - time.monotonic()))
        for wait in waits:
            wait.cancel()
    connected = sum(s.first_snapshot.is_set() for s in spectators)
    errors = sorted({e for s in spectators for e in s.errors})[:5]
    conn.send(("ready", ConnectReport(config.count, connected, time.monotonic() - started,
                                      errors)))

    async def resync_checker() -> None:
        while True:
            await asyncio.sleep(0.5)
            now = time.time()
            for spectator in spectators:
                await spectator.check_resync(now)

    checker = asyncio.create_task(resync_checker())
    command = await loop.run_in_executor(None, conn.recv)
    final: Board | None = None
    last_run_end = 0.0
    tail_waited = 0.0
    if command[0] == "final":
        _, final, last_run_end, tail_timeout = command
        tail_started = time.monotonic()
        while time.monotonic() - tail_started < tail_timeout:
            if all(s.follower.board == s.target(final) for s in spectators):
                break
            await asyncio.sleep(0.2)
        tail_waited = time.monotonic() - tail_started
        await asyncio.sleep(0.5)  # a message in flight past the last one counted
    checker.cancel()
    monitor.cancel()
    report = _report(spectators, final, last_run_end, lags)
    report.tail_waited = tail_waited
    report.cpu_percent = (_cpu_seconds() - cpu_started) / (time.monotonic() - wall_started) * 100
    for spectator in spectators:
        await spectator.stop()
    await asyncio.wait(tasks, timeout=10)
    conn.send(("result", report))


def _report(spectators: list[Spectator], final: Board | None, last_run_end: float,
            lags: list[float]) -> SpectatorsReport:
    report = SpectatorsReport(spectators=len(spectators))
    resyncs = [d for s in spectators for d in s.follower.resyncs]
    waits = [d for s in spectators for d in s.snapshot_waits]
    latencies = array.array("d")
    for s in spectators:
        latencies.extend(s.latencies_ms)
    held = []
    for s in spectators:
        report.connections += s.connections
        report.reconnects += max(0, s.connections - 1)
        report.spectators_reconnected += s.connections > 1
        report.reconnects_after_close += s.closed_by_peer
        report.gaps += s.follower.gaps
        report.heartbeat_resyncs += s.follower.heartbeat_resyncs
        report.bad_deltas += s.follower.bad_deltas
        report.progress_batches += s.batches
        report.top = report.top or s.top
        report.skipped += s.follower.skipped
        report.resync_timeouts += s.follower.resync_timeouts
        report.resyncs_unfinished += s.follower.resync_started is not None
        report.messages += s.messages
        report.bytes_received += s.bytes
        for code, count in s.closes.items():
            report.closes[code] = report.closes.get(code, 0) + count
        if final is not None:
            after = held_final_after(s.follower, s.target(final), last_run_end)
            if after is not None:
                held.append(after)
                report.holding_final += 1
                report.holding_final_reconnected += s.connections > 1
    report.resyncs = len(resyncs)
    report.resync_p50, report.resync_p99 = percentile(resyncs, 0.5), percentile(resyncs, 0.99)
    report.snapshot_wait_p50 = percentile(waits, 0.5)
    report.snapshot_wait_p99 = percentile(waits, 0.99)
    report.progress = len(latencies)
    report.progress_p50_ms = percentile(latencies, 0.5)
    report.progress_p99_ms = percentile(latencies, 0.99)
    report.progress_max_ms = max(latencies, default=float("nan"))
    report.held_final_p50 = percentile(held, 0.5)
    report.held_final_max = max(held, default=float("nan"))
    report.loop_lag_p99_ms = percentile(lags, 0.99)
    report.loop_lag_max_ms = max(lags, default=float("nan"))
    report.duplicated_runs = runs_duplicated(
        finishes=[dict.fromkeys(s.finished_twice, 2) for s in spectators],
        boards=[s.follower.board for s in spectators if s.follower.board is not None],
        listed=[],
    )
    report.errors = sorted({e for s in spectators for e in s.errors})[:5]
    return report


def spectate(conn: Any, config: SpectatorsConfig) -> None:
    """The child process's entry point (multiprocessing, spawn)."""
    try:
        import uvloop
    except ImportError:  # the plain loop works, a little slower
        asyncio.run(_watch(conn, config))
    else:
        uvloop.run(_watch(conn, config))
