"""Leaderboard writes: recompute on demand (the admin action)."""

from __future__ import annotations

from challenges.models import Challenge
from challenges.selectors.leaderboards import LeaderboardEntry
from challenges.services.live import publish_leaderboard


def leaderboard_recompute(*, challenge: Challenge) -> list[LeaderboardEntry]:
    """Rank the challenge's runs afresh and return the entries.

    Leaderboards are computed from the runs on every read, so there is no stored ranking to
    go stale; recomputing tells everyone watching the challenge.
    """
    return publish_leaderboard(challenge)
