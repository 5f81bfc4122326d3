"""Run reads: history, visibility of specs, a builder's runs."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from challenges.models import Challenge, Run, RunHistoryChunk


def run_history(run: Run) -> list[dict[str, Any]]:
    """Return the per-epoch history of the run's current attempt, in epoch order."""
    chunks = RunHistoryChunk.objects.filter(run=run, attempt=run.attempt).values_list(
        "records", flat=True
    ).order_by("first_epoch")
    return [record for records in chunks for record in records]


def run_spec_visible(run: Run, viewer: Any) -> bool:
    """Tell whether `viewer` may see the run's spec.

    Owner and staff always; everyone once the owner shared it or the challenge closed.
    """
    if viewer is not None and viewer.is_authenticated and (
        viewer.pk == run.owner_id or viewer.is_staff
    ):
        return True
    return run.shared or run.challenge.is_closed()


def run_test_score_visible(run: Run, viewer: Any) -> bool:
    """The hidden test score shows after close (staff: always)."""
    return run.challenge.is_closed() or bool(viewer and viewer.is_authenticated
                                             and viewer.is_staff)


def runs_of_builder(*, user: Any, challenge: Challenge) -> QuerySet[Run]:
    return Run.objects.filter(owner=user, challenge=challenge).select_related("challenge")


def challenges_visible_to(viewer: Any) -> QuerySet[Challenge]:
    """Challenges `viewer` may open: all for staff, never a draft for anyone else."""
    if viewer is not None and viewer.is_authenticated and viewer.is_staff:
        return Challenge.objects.all()
    return Challenge.objects.exclude(status=Challenge.Status.DRAFT)


def runs_visible_to(viewer: Any) -> QuerySet[Run]:
    """Runs anyone may look at: every run of a visible challenge; staff see drafts' too."""
    runs = Run.objects.select_related("challenge", "owner")
    if viewer is not None and viewer.is_authenticated and viewer.is_staff:
        return runs
    return runs.exclude(challenge__status=Challenge.Status.DRAFT)
