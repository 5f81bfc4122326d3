"""Verification reads: the run a verifying worker should check."""

from __future__ import annotations

from typing import Any

from challenges.models import Run, RunVerification, VerificationStatus


def run_to_verify(*, run_id: int) -> Run | None:
    """Return the run if its verification is pending (with challenge and owner), else None."""
    return (Run.objects.select_related("challenge", "owner", "verification")
            .filter(pk=run_id, verification__status=VerificationStatus.PENDING).first())


def verification_of(run: Run) -> dict[str, Any] | None:
    """Return the run's latest verification (`{status, checked_at, detail}`), None if never.

    Reads `run.verification`: select_related("verification") saves the query.
    """
    try:
        return run.verification.as_dict()
    except RunVerification.DoesNotExist:
        return None
