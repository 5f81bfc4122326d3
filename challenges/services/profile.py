"""The builder's profile sections that challenges provide: runs and best ranks."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string

from challenges.models import Challenge, Run
from challenges.selectors.leaderboards import best_ranks_of
from community.profile_sections import ProfileSection

PROFILE_RUNS = 20


def runs_section(profile_user: Any, viewer: Any) -> ProfileSection | None:
    """List the builder's recent runs and their best rank on each challenge."""
    runs = list(
        Run.objects.filter(owner=profile_user)
        .exclude(challenge__status=Challenge.Status.DRAFT)
        .select_related("challenge")
        .order_by("-created_at")[:PROFILE_RUNS]
    )
    if not runs:
        return None
    challenges = {run.challenge_id: run.challenge for run in runs}
    best_ranks = [
        {"challenge": challenges[challenge_id], "rank": entry.rank, "score": entry.score,
         "run": entry.run}
        for challenge_id, entry in best_ranks_of(user=profile_user,
                                                 challenges=challenges.values()).items()
    ]
    best_ranks.sort(key=lambda item: item["rank"])
    html = render_to_string("challenges/_profile_runs.html",
                            {"runs": runs, "best_ranks": best_ranks})
    return ProfileSection(title="Runs and best ranks", html=html)
