"""Leaderboards: the best run per builder, ranked; a fixed number of queries at any size.

Read from the kept board (`BestEntry`, written by services/best_entries.py in the
transactions that change a run's standing), never from the runs: a page costs the same with
100 runs or 100,000.

While a challenge is open, runs rank by validation score; after it closes, by the hidden test
score, and each entry shows its rank by validation too (the "shake-up"). Only succeeded,
ranked, not disqualified runs with a finite score rank: diverged, failed, NaN or missing
scores never do. Ties: better score, then fewer parameters, then earlier submission.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import Q, QuerySet

from challenges.models import BestEntry, Challenge, VerificationStatus
from challenges.selectors.verification import verification_of

# What `LeaderboardEntry.verification` reads of a run's verification (as_dict).
VERIFICATION_FIELDS = ("status", "checked_at", "detail")

TIE_BREAK_TEXT = "Ties: better score, then fewer parameters, then earlier submission."


@dataclass(frozen=True)
class LeaderboardEntry:
    rank: int
    user: str
    run: int
    score: float
    val_score: float | None
    test_score: float | None
    parameter_count: int
    submitted_at: Any
    val_rank: int | None  # after close: the rank this builder had by validation score
    # {status, checked_at, detail} of the run's latest verification, or None if never asked
    verification: dict[str, Any] | None = None

    @property
    def verified(self) -> bool:
        """Tell whether a second worker reproduced this entry's run."""
        return self.verification is not None and self.verification["status"] == "reproduced"

    @property
    def rank_change(self) -> int | None:
        """Places gained (+) or lost (−) from the validation ranking to the final one."""
        return None if self.val_rank is None else self.val_rank - self.rank

    def as_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank, "user": self.user, "run": self.run, "score": self.score,
            "val_score": self.val_score, "test_score": self.test_score,
            "parameter_count": self.parameter_count,
            "submitted_at": self.submitted_at.isoformat(), "val_rank": self.val_rank,
            "rank_change": self.rank_change, "verification": self.verification,
        }


def _board(challenge: Challenge, basis: str) -> QuerySet[BestEntry]:
    # The kept rows of one board in rank order: one scan of the `best_entry_rank` index.
    return (BestEntry.objects.filter(challenge=challenge, basis=basis)
            .order_by("sort_key", "parameter_count", "submitted_at", "run_id"))


def _val_ranks(challenge: Challenge) -> dict[int, int]:
    """After close: each builder's rank by validation score (one query of ids)."""
    owners = _board(challenge, "val_score").values_list("owner_id", flat=True)
    return {owner_id: place for place, owner_id in enumerate(owners, start=1)}


def _entries(challenge: Challenge, rows: Iterable[BestEntry], ranks: Iterable[int],
             val_ranks: dict[int, int] | None) -> list[LeaderboardEntry]:
    closed = val_ranks is not None
    return [
        LeaderboardEntry(
            rank=rank, user=row.owner.username, run=row.run_id, score=row.score,
            val_score=row.run.val_score, test_score=row.run.test_score if closed else None,
            parameter_count=row.parameter_count, submitted_at=row.submitted_at,
            val_rank=val_ranks.get(row.owner_id) if closed else None,
            verification=verification_of(row.run),
        )
        for rank, row in zip(ranks, rows, strict=True)
    ]


_ROW_FIELDS = ("owner_id", "run_id", "basis", "score", "sort_key", "parameter_count",
               "submitted_at", "owner__username", "run__val_score", "run__test_score",
               *(f"run__verification__{name}" for name in VERIFICATION_FIELDS))


def _rows(queryset: QuerySet[BestEntry]) -> QuerySet[BestEntry]:
    return queryset.select_related("owner", "run__verification").only(*_ROW_FIELDS)


def leaderboard_get(*, challenge: Challenge) -> list[LeaderboardEntry]:
    """Rank the best run of each builder, from the kept board (one query open, two closed)."""
    field = challenge.ranked_by
    val_ranks = _val_ranks(challenge) if field == "test_score" else None
    rows = list(_rows(_board(challenge, field)))
    return _entries(challenge, rows, range(1, len(rows) + 1), val_ranks)


@dataclass(frozen=True)
class LeaderboardPage:
    """One page of a board, the board's size, and the viewer's own entry wherever it ranks."""

    entries: list[LeaderboardEntry]
    count: int
    own: LeaderboardEntry | None


def _rank_of(challenge: Challenge, row: BestEntry) -> int:
    """Count the entries ahead of `row` in the ranking order, plus one (one indexed count)."""
    ahead = (Q(sort_key__lt=row.sort_key)
             | Q(sort_key=row.sort_key, parameter_count__lt=row.parameter_count)
             | Q(sort_key=row.sort_key, parameter_count=row.parameter_count,
                 submitted_at__lt=row.submitted_at)
             | Q(sort_key=row.sort_key, parameter_count=row.parameter_count,
                 submitted_at=row.submitted_at, run_id__lt=row.run_id))
    return _board(challenge, row.basis).filter(ahead).count() + 1


def _verified_page(board: Any, offset: int, limit: int) -> tuple[list[int], list[int], int]:
    """Return the page's run ids, their ranks on the whole board, and the verified count."""
    reproduced = list(board.values_list("run_id", "run__verification__status"))
    places = [place for place, (_, status) in enumerate(reproduced, start=1)
              if status == VerificationStatus.REPRODUCED]
    page = places[offset:offset + limit]
    return [reproduced[place - 1][0] for place in page], page, len(places)


def leaderboard_page(*, challenge: Challenge, offset: int, limit: int, viewer: Any = None,
                     verified: bool = False) -> LeaderboardPage:
    """Return `limit` entries from `offset` on, the count and the viewer's own entry.

    A fixed number of queries whatever the board's size: the page, its count, the viewer's
    row and its rank, and after the close the validation ranks. With `verified`, only the
    entries a second worker reproduced, each with its rank on the whole board.
    """
    field = challenge.ranked_by
    val_ranks = _val_ranks(challenge) if field == "test_score" else None
    board = _board(challenge, field)
    if verified:
        run_ids, ranks, count = _verified_page(board, offset, limit)
        by_run = {row.run_id: row for row in _rows(board.filter(run_id__in=run_ids))}
        rows = [by_run[run_id] for run_id in run_ids]
    else:
        rows = list(_rows(board)[offset:offset + limit])
        ranks, count = range(offset + 1, offset + len(rows) + 1), board.count()
    entries = _entries(challenge, rows, ranks, val_ranks)
    own = None
    if viewer is not None and viewer.is_authenticated:
        own = next((entry for entry in entries if entry.user == viewer.username), None)
        row = None if own is not None else _rows(board.filter(owner=viewer)).first()
        if row is not None and (not verified or (
                verification_of(row.run) or {}).get("status") == VerificationStatus.REPRODUCED):
            own = _entries(challenge, [row], [_rank_of(challenge, row)], val_ranks)[0]
    return LeaderboardPage(entries=entries, count=count, own=own)


# What one kept row contributes to a leaderboard row, read as plain values (no model objects:
# at a page of 100 rows, building three model instances per row cost more than the query).
_VALUE_FIELDS = ("owner_id", "run_id", "score", "parameter_count", "submitted_at",
                 "owner__username", "run__val_score", "run__test_score",
                 "run__verification__status", "run__verification__checked_at",
                 "run__verification__detail")
# A cached page lives until its board changes (the key holds the version) or this long.
PAGE_CACHE_SECONDS = 300
# Part of the key: a deploy that changes what is cached never reads an older release's pages.
PAGE_CACHE_FORMAT = 2


def _entry_dict(row: dict[str, Any], rank: int, val_ranks: dict[int, int] | None) -> dict:
    closed = val_ranks is not None
    val_rank = val_ranks.get(row["owner_id"]) if closed else None
    status = row["run__verification__status"]
    checked_at = row["run__verification__checked_at"]
    return {
        "rank": rank, "user": row["owner__username"], "run": row["run_id"],
        "score": row["score"], "val_score": row["run__val_score"],
        "test_score": row["run__test_score"] if closed else None,
        "parameter_count": row["parameter_count"],
        "submitted_at": row["submitted_at"].isoformat(), "val_rank": val_rank,
        "rank_change": None if val_rank is None else val_rank - rank,
        "verification": None if status is None else {
            "status": status, "checked_at": checked_at.isoformat() if checked_at else None,
            "detail": row["run__verification__detail"] or {}},
    }


@dataclass(frozen=True)
class LeaderboardPageData:
    """One page as the API sends it: the entries' JSON text, ready to splice, and the count."""

    entries_json: str
    count: int
    users: tuple[str, ...]  # the page's builders, in order (to find the viewer's row)

    def entries(self) -> list[dict[str, Any]]:
        return json.loads(self.entries_json)


def leaderboard_page_data(*, challenge: Challenge, offset: int, limit: int,
                          verified: bool = False) -> LeaderboardPageData:
    """Return one page's entries as JSON text and the board's count, as the API sends them.

    The same entries as `leaderboard_page`, as `LeaderboardEntry.as_dict` gives them,
    encoded once per change of the board rather than once per request. Cached
    under the challenge's `board_version`, which every change to what the board shows bumps
    in its own transaction: a reader after that commit never gets the old page, so the cache
    is exact, not merely fresh enough.
    """
    field = challenge.ranked_by
    # The creation time too: a database flushed or restored under the same Redis must not
    # meet the pages of an earlier challenge with the same id and version.
    key = (f"leaderboard:{PAGE_CACHE_FORMAT}:{challenge.pk}:{challenge.created_at.timestamp()}:"
           f"{challenge.board_version}:{field}:{int(verified)}:{offset}:{limit}")
    cached = cache.get(key)
    if cached is not None:
        return cached
    val_ranks = _val_ranks(challenge) if field == "test_score" else None
    board = _board(challenge, field)
    if verified:
        run_ids, ranks, count = _verified_page(board, offset, limit)
        by_run = {row["run_id"]: row for row in
                  board.filter(run_id__in=run_ids).values(*_VALUE_FIELDS)}
        rows = [by_run[run_id] for run_id in run_ids]
    else:
        rows = list(board.values(*_VALUE_FIELDS)[offset:offset + limit])
        ranks, count = range(offset + 1, offset + len(rows) + 1), board.count()
    entries = [_entry_dict(row, rank, val_ranks) for row, rank in zip(rows, ranks, strict=True)]
    data = LeaderboardPageData(entries_json=json.dumps(entries), count=count,
                               users=tuple(entry["user"] for entry in entries))
    cache.set(key, data, PAGE_CACHE_SECONDS)
    return data


def leaderboard_rank_of(*, challenge: Challenge, user: Any) -> LeaderboardEntry | None:
    """Return `user`'s entry on the challenge's board, with its rank, or None."""
    field = challenge.ranked_by
    row = _rows(_board(challenge, field).filter(owner=user)).first()
    if row is None:
        return None
    val_ranks = _val_ranks(challenge) if field == "test_score" else None
    return _entries(challenge, [row], [_rank_of(challenge, row)], val_ranks)[0]


def verified_only(entries: list[LeaderboardEntry]) -> list[LeaderboardEntry]:
    """Keep the entries a second worker reproduced, with the ranks they have on the board."""
    return [entry for entry in entries if entry.verified]


def best_ranks_of(*, user: Any, challenges: Iterable[Challenge]) -> dict[int, LeaderboardEntry]:
    """Return `user`'s entry (with its rank) on each of `challenges` where they rank.

    One query for the builder's kept rows, then one count per challenge they rank on: the
    profile's cost follows the challenges a builder entered, not the runs anyone made.
    """
    by_id = {challenge.pk: challenge for challenge in challenges}
    rows = _rows(BestEntry.objects.filter(owner=user, challenge_id__in=by_id)).only(
        "challenge_id", *_ROW_FIELDS)
    found: dict[int, LeaderboardEntry] = {}
    for row in rows:
        challenge = by_id[row.challenge_id]
        if row.basis != challenge.ranked_by:
            continue
        # After the close, a profile shows the final rank; the shake-up is the board's.
        found[challenge.pk] = _entries(challenge, [row], [_rank_of(challenge, row)], None)[0]
    return found


def leaderboards_for(challenges: Iterable[Challenge]) -> dict[int, list[LeaderboardEntry]]:
    """Rank several challenges at once (run cards, profiles), keyed by challenge id."""
    return {challenge.pk: leaderboard_get(challenge=challenge) for challenge in set(challenges)}
