"""Follow a live WebSocket (CONTRACT §4) through drops: reconnect with backoff, resync.

`follow(server, path, watch)` connects, hands every JSON message to `watch.handle`, and when
the connection drops (a server restart, a network blip) reconnects with exponential backoff
and jitter; the server's snapshot on every connect resyncs the watch, so nothing is lost.
Two watches live here, as state machines without any drawing (`render.py` draws them):
`RunWatch` for `/ws/runs/<id>/` and `LeaderboardWatch` for `/ws/challenges/<slug>/`, which
is seq-aware: a gap makes it reconnect for a fresh snapshot. It speaks protocol 2
(`?protocol=2`, docs/contract-additions.md#live-protocol-2): partial updates of the top rows
applied with `descent.live.ranked` (one that does not fit resyncs), batched `runs.progress` and
`runs.finished`, and the `leaderboard.seq` heartbeat (ahead of the board held: an update was
lost, resync).
"""

from __future__ import annotations

import contextlib
import enum
import json
import random
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

from websockets.exceptions import (
    ConnectionClosed,
    ConnectionClosedOK,
    InvalidHandshake,
    InvalidStatus,
)
from websockets.sync.client import connect

from descent.cli.errors import EXIT_SERVER, CliError
from descent.live.ranked import board_apply

FINAL_STATUSES = frozenset({"succeeded", "diverged", "failed", "timed_out", "cancelled"})
# A run snapshot carries the whole history (10,000 epochs ≈ 1.5 MB): more than the
# websockets default of 1 MiB.
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
CLOSE_NOT_FOUND = 4404
# How often a blocked read looks up from the socket to see whether Ctrl-C was pressed.
INTERRUPT_POLL_SECONDS = 0.25


class Verdict(enum.Enum):
    CONTINUE = "continue"
    DONE = "done"
    RESYNC = "resync"  # reconnect at once for a fresh snapshot


class Watch(Protocol):
    """What `follow` drives: told of each connection, then of each message."""

    def connected(self) -> None: ...

    def handle(self, message: dict[str, Any]) -> Verdict: ...


@dataclass(frozen=True)
class Backoff:
    """Delays between reconnection attempts: base·2ⁿ⁻¹ capped, times a jitter in [½, 1]."""

    base: float = 0.5
    cap: float = 8.0
    attempts: int = 10

    def delay(self, attempt: int) -> float:
        return min(self.cap, self.base * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)  # noqa: S311 (jitter)


def ws_url(server: str, path: str) -> str:
    """Return the WebSocket URL of `path` on `server` (http → ws, https → wss)."""
    parts = urlsplit(server)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return f"{scheme}://{parts.netloc}{parts.path.rstrip('/')}{path}"


def origin_of(server: str) -> str:
    """The Origin the server's origin check accepts: its own scheme, host and port."""
    parts = urlsplit(server)
    return f"{parts.scheme}://{parts.netloc}"


def _reason(error: BaseException) -> str:
    if isinstance(error, ConnectionClosed):
        received = error.rcvd
        if received is None:
            return "the connection dropped"
        return f"closed by the server, code {received.code}" + (
            f" {received.reason}" if received.reason else "")
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    return str(error) or type(error).__name__


def follow(server: str, path: str, watch: Watch, *, token: str | None = None,
           notice: Callable[[str], None] = lambda text: None,
           on_connect: Callable[[int], None] = lambda connection: None,
           backoff: Backoff = Backoff()) -> None:
    """Stream `path` into `watch` until it says DONE; reconnect through drops.

    `on_connect(n)` is called once the n-th connection (1, 2, ...) is open.

    Raises `CliError` when the server refuses the stream (no such run or challenge) or after
    `backoff.attempts` failed reconnections in a row.
    """
    url = ws_url(server, path)
    headers = {"Authorization": f"Token {token}"} if token else None
    failures = connections = 0
    while True:
        try:
            with connect(url, origin=origin_of(server), additional_headers=headers,
                         open_timeout=10, max_size=MAX_MESSAGE_BYTES,
                         user_agent_header="descent-cli") as socket:
                connections += 1
                watch.connected()
                on_connect(connections)
                with _interrupts_deferred() as interrupted:
                    while True:
                        if interrupted.is_set():
                            # Raised here, between reads, never inside the library's locks.
                            raise KeyboardInterrupt
                        try:
                            text = socket.recv(timeout=INTERRUPT_POLL_SECONDS)
                        except TimeoutError:
                            continue
                        except ConnectionClosedOK:
                            _refused_or_closed(socket.close_code, url)
                            raise ConnectionClosed(socket.protocol.close_rcvd, None) from None
                        failures = 0  # the server is talking again
                        verdict = watch.handle(_decode(text))
                        if verdict is Verdict.DONE:
                            return
                        if verdict is Verdict.RESYNC:
                            break
                continue  # RESYNC: reconnect at once
        except InvalidStatus as error:
            status = error.response.status_code
            if status in (403, 404):
                raise CliError(f"{url} refused the connection ({status}): check the server "
                               "URL and its ALLOWED_HOSTS", exit_code=EXIT_SERVER) from None
            reason = f"the server answered {status}"
        except ConnectionClosed as error:
            if error.rcvd is not None and error.rcvd.code == CLOSE_NOT_FOUND:
                _refused_or_closed(CLOSE_NOT_FOUND, url)
            reason = _reason(error)
        except (OSError, InvalidHandshake, TimeoutError) as error:
            reason = _reason(error)
        failures += 1
        if failures > backoff.attempts:
            raise CliError(f"lost the connection to {url} ({reason}) and could not reconnect "
                           f"after {backoff.attempts} attempts", exit_code=EXIT_SERVER)
        delay = backoff.delay(failures)
        what = f"connection to {url} lost" if failures == 1 else f"cannot reach {url}"
        notice(f"{what} ({reason}); {'reconnecting' if failures == 1 else 'retrying'} in "
               f"{delay:.1f} s (attempt {failures} of {backoff.attempts})")
        time.sleep(delay)


@contextlib.contextmanager
def _interrupts_deferred() -> Iterator[threading.Event]:
    """Turn Ctrl-C (and SIGTERM) into a flag while a socket is read.

    A KeyboardInterrupt raised at an arbitrary point of the websockets library (in its
    receive path, with a lock taken) could leave `close()` waiting on that lock forever: a
    watch that Ctrl-C did not stop. The flag is checked between reads instead. Off the main
    thread (no signals there) it is a flag that is never set.
    """
    interrupted = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield interrupted
        return
    previous = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    for number in previous:
        signal.signal(number, lambda _number, _frame: interrupted.set())
    try:
        yield interrupted
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _refused_or_closed(code: int | None, url: str) -> None:
    if code == CLOSE_NOT_FOUND:
        raise CliError(f"{url}: nothing to watch there (no such run or challenge, or not "
                       "visible to you)", exit_code=EXIT_SERVER)


def _decode(text: str | bytes) -> dict[str, Any]:
    try:
        message = json.loads(text)
    except ValueError:
        return {"type": "invalid"}
    return message if isinstance(message, dict) else {"type": "invalid", "value": message}


# --- one run ------------------------------------------------------------------------------


@dataclass
class RunWatch:
    """A run's state from `run.snapshot`, `run.epoch` and `run.status` messages."""

    run_id: int
    on_change: Callable[[RunWatch], None] = lambda watch: None
    status: str = "queued"
    epoch: int = 0
    epochs: int | None = None
    train_loss: float | None = None
    val_loss: float | None = None
    score: float | None = None
    error: str = ""
    snapshots: int = 0
    # A ghost race: who the ghost is (from the snapshot) and the gap at the latest epoch.
    ghost_run: int | None = None
    ghost_user: str = ""
    gap: dict[str, Any] | None = None

    def connected(self) -> None:
        """Nothing to reset: the snapshot that follows every connect replaces the state."""

    @property
    def finished(self) -> bool:
        return self.status in FINAL_STATUSES

    def handle(self, message: dict[str, Any]) -> Verdict:
        kind = message.get("type")
        if kind == "run.snapshot":
            run = message.get("run")
            if not isinstance(run, dict):
                raise CliError(f"run #{self.run_id} is not visible any more", exit_code=EXIT_SERVER)
            self.snapshots += 1
            self.status = run.get("status", self.status)
            self.epochs = run.get("epochs", self.epochs)
            self.score, self.error = run.get("score"), run.get("error") or ""
            history = run.get("history") or []
            if history:
                self._epoch(history[-1])
            else:
                self.epoch = run.get("epochs_done") or 0
            ghost = run.get("ghost")
            if isinstance(ghost, dict):
                self.ghost_run, self.ghost_user = ghost.get("run"), ghost.get("user", "")
                self.gap = ghost.get("gap") or self.gap
        elif kind == "run.epoch" and message.get("run", self.run_id) == self.run_id:
            self.epochs = message.get("epochs", self.epochs)
            records = message.get("records") or [message]
            if records[-1].get("epoch", 0) > self.epoch:
                self._epoch(records[-1])
                if isinstance(message.get("ghost"), dict):
                    self.gap = message["ghost"]
            self.status = "running" if not self.finished else self.status
        elif kind == "run.status" and message.get("run", self.run_id) == self.run_id:
            self.status = message.get("status", self.status)
            self.score, self.error = message.get("score"), message.get("error") or ""
            self.epoch = max(self.epoch, message.get("epochs_done") or 0)
        else:
            return Verdict.CONTINUE  # presence, pongs, types added later
        self.on_change(self)
        return Verdict.DONE if self.finished else Verdict.CONTINUE

    def _epoch(self, record: dict[str, Any]) -> None:
        self.epoch = record.get("epoch", self.epoch)
        self.train_loss, self.val_loss = record.get("train_loss"), record.get("val_loss")


# --- a challenge's leaderboard ------------------------------------------------------------


@dataclass
class LeaderboardWatch:
    """A live leaderboard that knows its seq: a gap means messages were lost, so resync."""

    slug: str
    on_change: Callable[[LeaderboardWatch], None] = lambda watch: None
    notice: Callable[[str], None] = lambda text: None
    seq: int | None = None
    entries: list[dict[str, Any]] = field(default_factory=list)
    running: dict[int, dict[str, Any]] = field(default_factory=dict)
    finished: list[dict[str, Any]] = field(default_factory=list)
    online: int | None = None
    ranked_by: str = ""
    own: dict[str, Any] | None = None  # the viewer's row, as of the last snapshot
    total: int | None = None  # builders on the board (protocol 2 sends the top `top`)
    resyncs: int = 0
    connections: int = 0

    def connected(self) -> None:
        self.seq = None  # updates count only after this connection's snapshot
        self.connections += 1

    def handle(self, message: dict[str, Any]) -> Verdict:
        kind = message.get("type")
        if kind == "leaderboard.snapshot":
            self.seq, self.entries = message.get("seq", 0), message.get("entries", [])
            self.ranked_by = message.get("ranked_by", self.ranked_by)
            self.own, self.total = message.get("own"), message.get("total")
            if not message.get("board_only"):
                self.running = {item["run"]: item for item in message.get("running", [])
                                if isinstance(item, dict) and "run" in item}
        elif kind == "presence.update":
            self.online = message.get("online")
        elif self.seq is None:
            return Verdict.CONTINUE
        elif kind == "leaderboard.update":
            seq = message.get("seq", 0)
            if seq <= self.seq:
                return Verdict.CONTINUE  # already seen
            if seq != self.seq + 1:
                return self._resync(f"seq gap on {self.slug}: expected {self.seq + 1}, got {seq}")
            entries = message.get("entries", [])
            if message.get("partial"):
                entries = board_apply(self.entries, entries, message.get("removed", []),
                                      size=message.get("size", -1))
                if entries is None:
                    return self._resync(f"update {seq} on {self.slug} did not fit the board")
            self.seq, self.entries = seq, entries
            self.total = message.get("total", self.total)
            self.ranked_by = message.get("ranked_by", self.ranked_by)
        elif kind == "leaderboard.seq":
            if message.get("seq", 0) <= self.seq:
                return Verdict.CONTINUE
            return self._resync(f"seq {message.get('seq')} on {self.slug} was announced but "
                                f"the board holds {self.seq}")
        elif kind == "run.progress":
            self.running[message.get("run")] = message
        elif kind == "runs.progress":
            for item in message.get("runs", []):
                if isinstance(item, dict):
                    self.running[item.get("run")] = {"type": "run.progress", **item}
        elif kind == "runs.finished":
            for item in message.get("runs", []):
                if isinstance(item, dict):
                    self.running.pop(item.get("run"), None)
                    self.finished = [{"type": "run.finished", **item}, *self.finished][:5]
        elif kind == "run.finished":
            self.running.pop(message.get("run"), None)
            self.finished = [message, *self.finished][:5]
        else:
            return Verdict.CONTINUE
        self.on_change(self)
        if kind == "leaderboard.snapshot" and self.connections > 1:
            self.notice(f"reconnected: redrawn from a fresh snapshot at seq {self.seq}")
        return Verdict.CONTINUE

    def _resync(self, why: str) -> Verdict:
        self.notice(f"{why}; reconnecting for a fresh snapshot")
        self.resyncs += 1
        return Verdict.RESYNC


def gap_words(gap: dict[str, Any] | None) -> str:
    """Say a ghost race's gap briefly: `Δ −0.0123 vs #5 (ahead)` (negative: ahead)."""
    if not gap:
        return ""
    delta = gap.get("delta")
    if not isinstance(delta, int | float):
        last = gap.get("last_epoch")
        if isinstance(last, int) and gap.get("epoch", 0) > last:
            return f"ghost #{gap.get('run')} ended at epoch {last}"
        return f"vs #{gap.get('run')}: -"
    where = "ahead" if delta < 0 else "behind" if delta > 0 else "level"
    sign = "−" if delta < 0 else "+" if delta > 0 else "±"
    return f"Δ {sign}{abs(delta):.4g} vs #{gap.get('run')} ({where})"
