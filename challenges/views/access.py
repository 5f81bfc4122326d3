"""Look-ups every page shares: drafts and their runs 404 for anyone but staff."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from challenges.models import Challenge, Run
from challenges.selectors.runs import challenges_visible_to, runs_visible_to


def is_staff(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_staff)


def challenge_or_404(slug: str, user: Any) -> Challenge:
    """Return the challenge, or 404 (a draft is a 404 for non-staff, not a 403: it is secret)."""
    return get_object_or_404(challenges_visible_to(user), slug=slug)


def run_or_404(run_id: int, user: Any) -> Run:
    """Return a run of a visible challenge, or 404."""
    return get_object_or_404(runs_visible_to(user), pk=run_id)


def owned_run_or_404(run_id: int, user: Any) -> Run:
    """Return a run `user` may act on: its owner, or staff; 403 for others (it is visible)."""
    run = run_or_404(run_id, user)
    if run.owner_id != user.pk and not is_staff(user):
        raise PermissionDenied("only the run's owner or staff can do this")
    return run
