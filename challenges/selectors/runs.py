"""Run reads: a builder's runs. (Who may see a run: selectors.visibility; its history:
selectors.history.)"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from challenges.models import Challenge, Run


def runs_of_builder(*, user: Any, challenge: Challenge) -> QuerySet[Run]:
    """Return `user`'s runs on `challenge`, newest first."""
    return Run.objects.filter(owner=user, challenge=challenge).select_related(
        "challenge", "owner", "verification")
