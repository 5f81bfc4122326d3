"""Who may see what: the one look-up of a challenge, a run, a lab or a node for every caller.

Pages, APIs and consumers all go through these. Drafts (and their runs and nodes) are secret:
for anyone but staff they do not exist, so a look-up raises `NotFound` (404), never a 403.
The errors are Django's `Http404` / `PermissionDenied` as well, so a page answers the same
status as the API without catching them.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet

from challenges.errors import NotAllowed, NotFound
from challenges.models import BlueprintNode, Challenge, Run


def is_staff(viewer: Any) -> bool:
    """Tell whether `viewer` is a signed-in staff member."""
    return bool(viewer is not None and viewer.is_authenticated and viewer.is_staff)


def challenges_visible_to(viewer: Any) -> QuerySet[Challenge]:
    """Challenges `viewer` may open: all for staff, never a draft for anyone else."""
    if is_staff(viewer):
        return Challenge.objects.all()
    return Challenge.objects.exclude(status=Challenge.Status.DRAFT)


def challenges_published() -> QuerySet[Challenge]:
    """The challenges the public list shows (no drafts, even for staff), oldest first."""
    return Challenge.objects.exclude(status=Challenge.Status.DRAFT).order_by("created_at", "id")


def runs_visible_to(viewer: Any) -> QuerySet[Run]:
    """Runs anyone may look at: every run of a visible challenge; staff see drafts' too."""
    runs = Run.objects.select_related("challenge", "owner", "verification")
    if is_staff(viewer):
        return runs
    return runs.exclude(challenge__status=Challenge.Status.DRAFT)


def challenge_get(*, slug: str, viewer: Any) -> Challenge:
    """Return the challenge `slug` if `viewer` may open it; raise `NotFound` otherwise."""
    challenge = challenges_visible_to(viewer).filter(slug=slug).first()
    if challenge is None:
        raise NotFound(f"no challenge '{slug}'")
    return challenge


def run_get(*, run_id: int, viewer: Any) -> Run:
    """Return run `run_id` if `viewer` may look at it; raise `NotFound` otherwise."""
    run = runs_visible_to(viewer).filter(pk=run_id).first()
    if run is None:
        raise NotFound("no such run")
    return run


def run_get_owned(*, run_id: int, viewer: Any) -> Run:
    """Return a run `viewer` may act on (its owner, or staff); `NotAllowed` for the others."""
    run = run_get(run_id=run_id, viewer=viewer)
    if not run_owned_by(run, viewer):
        raise NotAllowed("only the run's owner or staff can do this")
    return run


def run_owned_by(run: Run, viewer: Any) -> bool:
    """Tell whether `viewer` may act on `run`: its owner, or staff."""
    return bool(viewer is not None and viewer.is_authenticated
                and (viewer.pk == run.owner_id or viewer.is_staff))


def run_spec_visible(run: Run, viewer: Any) -> bool:
    """Tell whether `viewer` may see the run's spec.

    Owner and staff always; everyone once the owner shared it or the challenge closed.
    """
    return run_owned_by(run, viewer) or run.shared or run.challenge.is_closed()


def run_test_score_visible(run: Run, viewer: Any) -> bool:
    """The hidden test score shows after close (staff: always)."""
    return run.challenge.is_closed() or is_staff(viewer)


def fork_source_get(*, run_id: Any, viewer: Any) -> Run | None:
    """Return the run to fork if `viewer` may see its spec, else None."""
    if isinstance(run_id, str):
        if not run_id.isdigit():
            return None
        run_id = int(run_id)
    run = runs_visible_to(viewer).filter(pk=run_id).first()
    if run is None or not run_spec_visible(run, viewer):
        return None
    return run


def lab_runs(*, group: uuid.UUID, viewer: Any) -> list[Run]:
    """Return a lab's runs (lowest id first) if `viewer` may see them; `NotFound` otherwise."""
    runs = list(runs_visible_to(viewer).filter(lab_group=group).order_by("id"))
    if not runs:
        raise NotFound("no such lab")
    return runs


def node_get(*, slug: str) -> BlueprintNode:
    """Return the visible blueprint node `slug` with its quiz loaded; `NotFound` otherwise."""
    node = (BlueprintNode.objects.select_related("challenge")
            .exclude(challenge__status=Challenge.Status.DRAFT)
            .filter(challenge__slug=slug).prefetch_related("questions__choices").first())
    if node is None:
        raise NotFound(f"no blueprint node '{slug}'")
    return node
