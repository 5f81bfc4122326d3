"""Keep the leaderboard: each builder's best ranking run per challenge, by both scores.

The one writer of `BestEntry` rows. A run's standing changes when it finishes, when it is
disqualified (or cleared), and when staff flip its `ranked` flag; each of those calls
`best_entries_refresh` inside its own transaction, so the kept board commits with the change
or not at all. A refresh recomputes the one builder's rows from that builder's runs — the
same rule as a from-scratch recompute (`best_entries_expected`), restricted to one builder —
so an incremental refresh can never drift from the recompute by construction, and
`manage.py leaderboard_check` proves it on real data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, QuerySet

from challenges.models import BestEntry, Challenge, RankBasis, Run, RunStatus

BASES = (RankBasis.VAL_SCORE, RankBasis.TEST_SCORE)


@dataclass(frozen=True)
class KeptEntry:
    """What one `BestEntry` row holds, comparable between the kept board and a recompute."""

    owner_id: int
    basis: str
    run_id: int
    score: float
    parameter_count: int


def eligible_runs(*, challenge: Challenge, basis: str) -> QuerySet[Run]:
    """Return the runs that may rank by `basis`, best first (the ranking rule's order).

    Succeeded, ranked, not disqualified, with a finite score; ties go to fewer parameters,
    then the earlier submission (then the lower id, so the order is total).
    """
    score = F(basis).desc() if challenge.higher_is_better else F(basis).asc()
    return Run.objects.filter(
        challenge=challenge, ranked=True, status=RunStatus.SUCCEEDED, disqualified_reason="",
        # Finite only: PostgreSQL sorts NaN above every number, and a NaN must never win.
        **{f"{basis}__gt": -math.inf, f"{basis}__lt": math.inf},
    ).order_by(score, F("parameter_count").asc(), F("created_at").asc(), F("id").asc())


def _sort_key(challenge: Challenge, score: float) -> float:
    return -score if challenge.higher_is_better else score


def lock_builder(owner_id: int) -> None:
    # One builder's refreshes run one at a time (SELECT ... FOR UPDATE on PostgreSQL; SQLite
    # serialises writers anyway): two of their runs finishing at once must not each compute
    # the best from a view that lacks the other's run. After the lock, READ COMMITTED sees
    # what the other committed.
    list(get_user_model().objects.select_for_update().filter(pk=owner_id).values_list("pk"))


def board_changed(*, challenge_id: int) -> None:
    """Note, in the caller's transaction, that the challenge's leaderboard shows something new.

    Cached leaderboard pages are keyed by `Challenge.board_version`: once this commits, no
    reader finds the old page, and a rollback leaves the version as it was.
    """
    Challenge.objects.filter(pk=challenge_id).update(board_version=F("board_version") + 1)


def best_entries_refresh(*, challenge: Challenge, owner_id: int) -> bool:
    """Recompute one builder's kept entries on one challenge from their runs (both bases).

    Return whether anything changed (and then bump the board's version).
    """
    changed = False
    with transaction.atomic():
        lock_builder(owner_id)
        kept = {row.basis: row for row in
                BestEntry.objects.filter(challenge=challenge, owner_id=owner_id)}
        for basis in BASES:
            best = (eligible_runs(challenge=challenge, basis=basis)
                    .filter(owner_id=owner_id)
                    .only("pk", "owner_id", basis, "parameter_count", "created_at")
                    .first())
            row = kept.get(basis)
            if best is None:
                if row is not None:
                    row.delete()
                    changed = True
                continue
            score = getattr(best, basis)
            fields = {"run_id": best.pk, "score": score, "sort_key": _sort_key(challenge, score),
                      "parameter_count": best.parameter_count, "submitted_at": best.created_at}
            if row is None:
                BestEntry.objects.create(challenge=challenge, basis=basis, owner_id=owner_id,
                                         **fields)
                changed = True
            elif any(getattr(row, name) != value for name, value in fields.items()):
                for name, value in fields.items():
                    setattr(row, name, value)
                row.save(update_fields=list(fields))
                changed = True
        if changed:
            board_changed(challenge_id=challenge.pk)
    return changed


def best_entries_refresh_run(*, run: Run) -> bool:
    """Refresh the kept entries of `run`'s builder on `run`'s challenge; True if they moved."""
    return best_entries_refresh(challenge=run.challenge, owner_id=run.owner_id)


def best_entries_expected(*, challenge: Challenge) -> set[KeptEntry]:
    """Compute the kept board from scratch: each builder's first run in the ranking order."""
    expected: set[KeptEntry] = set()
    for basis in BASES:
        seen: set[int] = set()
        rows = eligible_runs(challenge=challenge, basis=basis).values_list(
            "owner_id", "pk", basis, "parameter_count")
        for owner_id, run_id, score, parameter_count in rows.iterator(chunk_size=5000):
            if owner_id not in seen:
                seen.add(owner_id)
                expected.add(KeptEntry(owner_id, basis, run_id, score, parameter_count))
    return expected


def best_entries_kept(*, challenge: Challenge) -> set[KeptEntry]:
    """Read the kept board as stored, in the form `best_entries_expected` returns."""
    return {KeptEntry(*row) for row in BestEntry.objects.filter(challenge=challenge)
            .values_list("owner_id", "basis", "run_id", "score", "parameter_count")}


@dataclass(frozen=True)
class BoardDifference:
    """How the kept board differs from a recompute: rows missing, rows that should not be."""

    challenge: str
    missing: frozenset[KeptEntry]
    extra: frozenset[KeptEntry]

    def __bool__(self) -> bool:
        return bool(self.missing or self.extra)


def best_entries_check(*, challenge: Challenge, repair: bool = False) -> BoardDifference:
    """Compare the kept board with a recompute; with `repair`, rewrite it to the recompute."""
    with transaction.atomic():
        expected = best_entries_expected(challenge=challenge)
        kept = best_entries_kept(challenge=challenge)
        difference = BoardDifference(challenge.slug, frozenset(expected - kept),
                                     frozenset(kept - expected))
        if repair and difference:
            best_entries_rebuild(challenge=challenge, expected=expected)
    return difference


def best_entries_rebuild(*, challenge: Challenge,
                         expected: set[KeptEntry] | None = None) -> int:
    """Rewrite a challenge's kept board from its runs; return the number of rows."""
    expected = best_entries_expected(challenge=challenge) if expected is None else expected
    submitted: dict[int, Any] = dict(
        Run.objects.filter(pk__in=[entry.run_id for entry in expected])
        .values_list("pk", "created_at"))
    with transaction.atomic():
        BestEntry.objects.filter(challenge=challenge).delete()
        BestEntry.objects.bulk_create(
            [BestEntry(challenge=challenge, owner_id=entry.owner_id, basis=entry.basis,
                       run_id=entry.run_id, score=entry.score,
                       sort_key=_sort_key(challenge, entry.score),
                       parameter_count=entry.parameter_count,
                       submitted_at=submitted[entry.run_id])
             for entry in expected], batch_size=1000)
        board_changed(challenge_id=challenge.pk)
    return len(expected)
