"""The load bench's bookkeeping: pure functions over what the clients recorded.

No sockets and no clock here: every function takes records (and times) and returns counts, so
the tests feed it synthetic message lists. `SeqFollower` follows a leaderboard stream the way
the browser does (`static/challenges/live.js`): apply the next seq, drop old ones, ask for a
snapshot after a gap and reconnect if none comes.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# One leaderboard as the bench compares it: (user, run, score) in rank order.
Board = tuple[tuple[str, int, float | None], ...]

FINAL_STATUSES = frozenset({"succeeded", "diverged", "failed", "timed_out", "cancelled"})


def board_key(entries: Iterable[Mapping[str, Any]]) -> Board:
    """Reduce leaderboard entries (API, snapshot or update) to what must match."""
    return tuple((entry["user"], int(entry["run"]), entry["score"]) for entry in entries)


def apply_delta(rows: Sequence[Mapping[str, Any]], changed: Sequence[Mapping[str, Any]],
                removed: Iterable[str], size: int) -> list[Mapping[str, Any]] | None:
    """Apply a protocol-2 partial `leaderboard.update` to the top rows a spectator holds.

    Written again from docs/contract-additions.md#live-protocol-2, not imported from the app:
    drop the removed and changed builders, insert each changed row at its rank (lowest rank first),
    and check the length and that every changed row landed on its rank. None: resync.
    """
    gone = set(removed) | {row["user"] for row in changed}
    kept = [row for row in rows if row["user"] not in gone]
    for row in sorted(changed, key=lambda row: row["rank"]):
        if not 1 <= row["rank"] <= len(kept) + 1:
            return None
        kept.insert(row["rank"] - 1, row)
    if len(kept) != size or any(kept[row["rank"] - 1]["user"] != row["user"] for row in changed):
        return None
    return kept


def percentile(values: Sequence[float], q: float) -> float:
    """Return the nearest-rank `q` quantile (0 ≤ q ≤ 1) of `values`; NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


@dataclass
class SeqFollower:
    """One spectator's view of a `leaderboard.*` stream: seq, board, gaps and resyncs.

    Times are whatever clock the caller uses (seconds); the follower only subtracts them.
    """

    current: int | None = None
    board: Board | None = None
    rows: list[Mapping[str, Any]] | None = None  # protocol 2: the top rows, to apply deltas to
    held_since: float | None = None  # when the board it holds first arrived (unchanged since)
    resync_started: float | None = None  # a gap was seen; no snapshot yet
    resync_requested: float | None = None  # asked on this connection; reset by a reconnect
    gaps: int = 0  # gap events (each starts one resync)
    skipped: int = 0  # seq numbers jumped over, summed over the gaps
    resyncs: list[float] = field(default_factory=list)  # gap → snapshot, seconds
    resync_timeouts: int = 0
    heartbeat_resyncs: int = 0  # a seq heartbeat ahead of the board: an update was missed
    bad_deltas: int = 0  # a partial update that did not fit the rows held

    def _hold(self, board: Board, now: float) -> None:
        if board != self.board:
            self.board = board
            self.held_since = now

    def snapshot(self, seq: int, board: Board, now: float,
                 rows: list[Mapping[str, Any]] | None = None) -> None:
        """Take a `leaderboard.snapshot`: the whole state, whatever seq came before."""
        if self.resync_started is not None:
            self.resyncs.append(now - self.resync_started)
        self.resync_started = self.resync_requested = None
        self.current = seq
        self.rows = rows
        self._hold(board, now)

    def update_message(self, message: Mapping[str, Any], now: float) -> str:
        """Take a `leaderboard.update` of either form; as `update`, a bad delta resyncs."""
        seq = message["seq"]
        if not message.get("partial"):
            rows = list(message["entries"])
        elif self.current is not None and seq <= self.current:
            return "drop"
        elif self.current is None or seq != self.current + 1 or self.rows is None:
            return self._gap(seq, now)
        else:
            rows = apply_delta(self.rows, message["entries"], message.get("removed", ()),
                               message["size"])
            if rows is None:
                self.bad_deltas += 1
                return self._gap(seq, now)
        action = self.update(seq, board_key(rows), now)
        if action == "apply":
            self.rows = rows
        return action

    def heartbeat(self, seq: int, now: float) -> str:
        """Take a `leaderboard.seq`: "resync" when it is ahead of the board held."""
        if self.current is None or seq <= self.current or self.resync_started is not None:
            return "ok"
        self.heartbeat_resyncs += 1
        return self._gap(seq, now)

    def update(self, seq: int, board: Board, now: float) -> str:
        """Take a `leaderboard.update`; return "apply", "drop", "resync" (ask) or "wait"."""
        if self.current is not None and seq <= self.current:
            return "drop"
        if self.current is not None and seq == self.current + 1:
            self.current = seq
            self._hold(board, now)
            return "apply"
        return self._gap(seq, now)

    def _gap(self, seq: int, now: float) -> str:
        if self.resync_started is not None:
            return "wait"  # one request in flight is enough
        self.gaps += 1
        if self.current is not None:
            self.skipped += seq - self.current - 1
        self.resync_started = self.resync_requested = now
        return "resync"

    def resync_overdue(self, now: float, timeout: float) -> bool:
        """Tell whether the snapshot asked for on this connection is over `timeout` s late."""
        return self.resync_requested is not None and now - self.resync_requested > timeout

    def resync_abandoned(self) -> None:
        """Count a resync that timed out: the caller reconnects, and that snapshot ends it."""
        self.resync_timeouts += 1
        self.resync_requested = None


def held_final_after(follower: SeqFollower, final: Board, last_run_end: float) -> float | None:
    """Seconds after `last_run_end` from which the follower held `final` (0 if before), or
    None if it does not hold it."""
    if follower.board != final or follower.held_since is None:
        return None
    return max(0.0, follower.held_since - last_run_end)


@dataclass(frozen=True)
class RunRecord:
    """What the run records say about one run (the API's run list or detail)."""

    id: int
    user: str
    status: str
    ranked: bool
    score: float | None
    parameter_count: int
    created_at: float  # seconds since the epoch
    disqualified: bool = False
    attempt: int = 0
    worker_host: str = ""
    finished_at: float | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> RunRecord:
        """Read one run as `GET /api/runs/{id}/` or the run list returns it."""
        finished = data.get("finished_at")
        return cls(
            id=int(data["id"]), user=data["user"], status=data["status"],
            ranked=bool(data["ranked"]), score=data["score"],
            parameter_count=int(data["parameter_count"]),
            created_at=_timestamp(data["created_at"]),
            disqualified=bool(data.get("disqualified_reason")),
            attempt=int(data.get("attempt") or 0), worker_host=data.get("worker_host") or "",
            finished_at=_timestamp(finished) if finished else None,
        )


def _timestamp(value: str) -> float:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def recompute_leaderboard(runs: Iterable[RunRecord], *, higher_is_better: bool) -> Board:
    """Rank from the run records with the leaderboard's rule, independently of its code.

    The best run of each builder among succeeded, ranked, not disqualified runs with a finite
    score; ties: better score, then fewer parameters, then earlier submission (then lower id).
    """

    def order(run: RunRecord) -> tuple[float, int, float, int]:
        score = float(run.score)  # finite, filtered below
        return (-score if higher_is_better else score, run.parameter_count, run.created_at,
                run.id)

    best: dict[str, RunRecord] = {}
    for run in runs:
        if (run.status != "succeeded" or not run.ranked or run.disqualified
                or run.score is None or not math.isfinite(run.score)):
            continue
        if run.user not in best or order(run) < order(best[run.user]):
            best[run.user] = run
    return tuple((run.user, run.id, run.score) for run in sorted(best.values(), key=order))


def runs_lost(accepted: Iterable[int], statuses: Mapping[int, str]) -> list[int]:
    """Accepted runs that never reached a final status (or vanished from the records)."""
    return sorted(run for run in set(accepted) if statuses.get(run) not in FINAL_STATUSES)


def runs_duplicated(*, finishes: Iterable[Mapping[int, int]], boards: Iterable[Board],
                    listed: Iterable[int]) -> list[int]:
    """Runs that appear twice where once is the rule.

    `finishes`: per connection, how many `run.finished` it got for each run (a run ends once);
    `boards`: leaderboards (one entry per builder, each run at most once); `listed`: run ids
    from the run records (each once).
    """
    duplicated: set[int] = set()
    for seen in finishes:
        duplicated |= {run for run, count in seen.items() if count > 1}
    for board in boards:
        runs = Counter(run for _user, run, _score in board)
        users = Counter(user for user, _run, _score in board)
        duplicated |= {run for run, count in runs.items() if count > 1}
        duplicated |= {run for user, run, _score in board if users[user] > 1}
    duplicated |= {run for run, count in Counter(listed).items() if count > 1}
    return sorted(duplicated)
