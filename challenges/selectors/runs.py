"""Run reads: a builder's runs. (Who may see a run: selectors.visibility; its history:
selectors.history.)"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from challenges.models import Challenge, Run, RunStatus


def run_queue_place(run: Run) -> int | None:
    """Return how many of the builder's waiting runs are ahead of `run`, or None if not waiting.

    A waiting run is held back by the builder's cap on runs in flight (services/fair_share.py);
    it leaves, oldest first, when one of those ends.
    """
    if not (run.waiting and run.status == RunStatus.QUEUED):
        return None
    return Run.objects.filter(
        owner_id=run.owner_id, status=RunStatus.QUEUED, waiting=True,
    ).filter(Q(created_at__lt=run.created_at) | Q(created_at=run.created_at, pk__lt=run.pk)
             ).count()


def runs_of_builder(*, user: Any, challenge: Challenge) -> QuerySet[Run]:
    """Return `user`'s runs on `challenge`, newest first."""
    return Run.objects.filter(owner=user, challenge=challenge).select_related(
        "challenge", "owner", "verification")
