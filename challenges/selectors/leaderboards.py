"""Leaderboards: the best run per builder, ranked; a fixed number of queries at any size.

While a challenge is open, runs rank by validation score; after it closes, by the hidden test
score, and each entry shows its rank by validation too (the "shake-up"). Only succeeded,
ranked, not disqualified runs with a finite score rank: diverged, failed, NaN or missing
scores never do. Ties: better score, then fewer parameters, then earlier submission.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Window
from django.db.models.functions import RowNumber

from challenges.models import Challenge, Run, RunStatus
from challenges.selectors.verification import verification_of

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


def _best_per_builder(challenge: Challenge, field: str) -> list[Run]:
    descending = challenge.higher_is_better
    score = F(field).desc() if descending else F(field).asc()
    order = [score, F("parameter_count").asc(), F("created_at").asc(), F("id").asc()]
    rows = (
        Run.objects.filter(challenge=challenge, ranked=True, status=RunStatus.SUCCEEDED,
                           disqualified_reason="",
                           # Finite only: PostgreSQL sorts NaN above every number, and a
                           # NaN must never win a builder's place.
                           **{f"{field}__gt": -math.inf, f"{field}__lt": math.inf})
        .annotate(place=Window(RowNumber(), partition_by=[F("owner_id")], order_by=order))
        .filter(place=1)
        .select_related("owner", "verification")
        .order_by(*order)
    )
    return list(rows)


def leaderboard_get(*, challenge: Challenge) -> list[LeaderboardEntry]:
    """Rank the best run of each builder (two queries after close, one while open)."""
    field = challenge.ranked_by
    closed = field == "test_score"
    ranked = _best_per_builder(challenge, field)
    val_ranks: dict[int, int] = {}
    if closed:
        val_ranks = {run.owner_id: place for place, run in
                     enumerate(_best_per_builder(challenge, "val_score"), start=1)}
    entries = [
        LeaderboardEntry(
            rank=place, user=run.owner.username, run=run.pk, score=getattr(run, field),
            val_score=run.val_score, test_score=run.test_score if closed else None,
            parameter_count=run.parameter_count, submitted_at=run.created_at,
            val_rank=val_ranks.get(run.owner_id) if closed else None,
            verification=verification_of(run),
        )
        for place, run in enumerate(ranked, start=1)
    ]
    return entries


def verified_only(entries: list[LeaderboardEntry]) -> list[LeaderboardEntry]:
    """Keep the entries a second worker reproduced, with the ranks they have on the board."""
    return [entry for entry in entries if entry.verified]


def leaderboards_for(challenges: Iterable[Challenge]) -> dict[int, list[LeaderboardEntry]]:
    """Rank several challenges at once (run cards, profiles), keyed by challenge id."""
    return {challenge.pk: leaderboard_get(challenge=challenge) for challenge in set(challenges)}
