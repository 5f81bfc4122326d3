"""Verified entries: ask a second worker to re-train runs, record what it found.

A run records what decides its numbers (engine version, spec hash, dataset hash, numpy and
BLAS, the worker node). When a challenge closes — the beat sweep notices `closes_at` passing,
or staff close it in the admin — and whenever staff ask, `verification_request` marks each
run's `RunVerification` pending and sends `workers.tasks.verify_run` after the commit. The
worker (workers/verification.py) re-trains the spec on the same data, compares every epoch's
every value with the engine's `compare_histories` and calls `verification_record` with the
verdict: reproduced, mismatch (with the figures) or error (the check itself could not finish).
Every change is announced on the challenge's leaderboard (entries carry `verification`) and on
the run's stream (`run.verification`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from challenges.errors import VerificationRefused
from challenges.models import (
    FINAL_STATUSES,
    Challenge,
    Run,
    RunVerification,
    VerificationStatus,
)
from challenges.selectors.leaderboards import leaderboard_get
from challenges.services.best_entries import board_changed
from challenges.services.live import publish_leaderboard, publish_run_verification
from descent.celery import app

VERIFY_TASK = "workers.tasks.verify_run"
# A verification trains the spec again; a slower machine may need more than the original's
# time: it gets this many times the challenge's limit.
VERIFY_TIME_FACTOR = 2
HARD_LIMIT_GRACE = 30
TRIGGER_CLOSED = "closed"
TRIGGER_STAFF = "staff"


def verification_enqueue(run: Run, *, queue: Any = None, forwarded_from: str = "") -> None:
    """Send the verification task for `run`: to any worker, or to `queue` (one worker's own).

    A worker that gets the check of a run it trained itself hands it on to another worker's
    own queue (`forwarded_from` names it), see workers/verification.py.
    """
    limit = run.challenge.time_limit_seconds * VERIFY_TIME_FACTOR
    options: dict[str, Any] = {"queue": queue} if queue is not None else {}
    app.send_task(VERIFY_TASK, args=[run.pk],
                  kwargs={"forwarded_from": forwarded_from} if forwarded_from else None,
                  soft_time_limit=limit, time_limit=limit + HARD_LIMIT_GRACE, **options)


def verification_request(*, runs: Iterable[Run], trigger: str = TRIGGER_STAFF,
                         requested_by: Any = None,
                         now: dt.datetime | None = None) -> list[RunVerification]:
    """Mark each finished run's verification pending and send its task after the commit.

    A run already pending since less than VERIFY_RESEND_SECONDS is left as it is (its check
    is on its way). Raises `VerificationRefused` for a run that has not finished.
    """
    now = now or timezone.now()
    runs = list(runs)
    for run in runs:
        if run.status not in FINAL_STATUSES:
            raise VerificationRefused(f"run #{run.pk} is still {run.status}; verify it once "
                                      "it has finished", field="run")
    fresh = now - dt.timedelta(seconds=settings.VERIFY_RESEND_SECONDS)
    checks: list[RunVerification] = []
    with transaction.atomic():
        existing = {check.run_id: check for check in
                    RunVerification.objects.select_for_update().filter(run__in=runs)}
        for run in runs:
            check = existing.get(run.pk)
            if (check is not None and check.status == VerificationStatus.PENDING
                    and check.requested_at >= fresh):
                checks.append(check)
                continue
            check, _ = RunVerification.objects.update_or_create(run=run, defaults={
                "status": VerificationStatus.PENDING, "trigger": trigger,
                "requested_by": requested_by, "requested_at": now, "checked_at": None,
                "verifier_node": "", "detail": {},
            })
            checks.append(check)
            transaction.on_commit(lambda run=run: verification_enqueue(run))
            publish_run_verification(run_id=run.pk, verification=check.as_dict())
        for challenge in {run.challenge_id: run.challenge for run in runs}.values():
            board_changed(challenge_id=challenge.pk)
            publish_leaderboard(challenge)  # on commit: the entries now say "pending"
    return checks


def verification_request_top(*, challenge: Challenge, trigger: str = TRIGGER_STAFF,
                             requested_by: Any = None, now: dt.datetime | None = None,
                             top: int | None = None) -> list[RunVerification]:
    """Ask for the top entries of the challenge's leaderboard (VERIFY_TOP_N) to be verified."""
    now = now or timezone.now()
    top = settings.VERIFY_TOP_N if top is None else top
    entry_runs = [entry.run for entry in leaderboard_get(challenge=challenge)[:top]]
    runs = Run.objects.filter(pk__in=entry_runs).select_related("challenge", "owner")
    with transaction.atomic():
        checks = verification_request(runs=runs, trigger=trigger, requested_by=requested_by,
                                      now=now)
        Challenge.objects.filter(pk=challenge.pk).update(verification_requested_at=now)
    return checks


@dataclass
class VerificationSweep:
    """What one sweep did: challenges whose close it handled, runs whose check it re-sent."""

    challenges: list[str] = field(default_factory=list)
    resent: list[int] = field(default_factory=list)


def verification_sweep(*, now: dt.datetime | None = None) -> VerificationSweep:
    """Verify the top entries of every challenge that closed; re-send checks that got lost."""
    now = now or timezone.now()
    report = VerificationSweep()
    closed = (Challenge.objects.exclude(status=Challenge.Status.DRAFT)
              .filter(verification_requested_at__isnull=True)
              .filter(Q(status=Challenge.Status.CLOSED) | Q(closes_at__lte=now)))
    for challenge in closed:
        verification_request_top(challenge=challenge, trigger=TRIGGER_CLOSED, now=now)
        report.challenges.append(challenge.slug)
    stale = now - dt.timedelta(seconds=settings.VERIFY_RESEND_SECONDS)
    lost = (RunVerification.objects.filter(status=VerificationStatus.PENDING,
                                           requested_at__lt=stale)
            .select_related("run__challenge"))
    for check in lost:
        # Claimed by date, so two sweeps at once send it once.
        if RunVerification.objects.filter(pk=check.pk, status=VerificationStatus.PENDING,
                                          requested_at=check.requested_at
                                          ).update(requested_at=now):
            verification_enqueue(check.run)
            report.resent.append(check.run_id)
    return report


@dataclass(frozen=True)
class VerificationOutcome:
    """What the verifying worker found."""

    status: str  # reproduced, mismatch or error
    verifier_node: str
    detail: dict[str, Any]


def verification_record(*, run_id: int, outcome: VerificationOutcome,
                        now: dt.datetime | None = None) -> RunVerification | None:
    """Record a pending check's verdict and announce it; None if nothing was pending."""
    now = now or timezone.now()
    with transaction.atomic():
        updated = RunVerification.objects.filter(
            run_id=run_id, status=VerificationStatus.PENDING
        ).update(status=outcome.status, checked_at=now, verifier_node=outcome.verifier_node[:200],
                 detail=outcome.detail)
        if not updated:
            return None
        check = RunVerification.objects.select_related("run__challenge").get(run_id=run_id)
        publish_run_verification(run_id=run_id, verification=check.as_dict())
        board_changed(challenge_id=check.run.challenge_id)
        publish_leaderboard(check.run.challenge)
    return check


@transaction.atomic
def run_record_provenance(*, run: Run, worker_node: str, dataset_hash: str,
                          numeric: dict[str, str]) -> None:
    """Record on the attempt what decides its numbers besides the spec: data, numpy, BLAS."""
    Run.objects.filter(pk=run.pk, attempt=run.attempt).update(
        worker_node=worker_node[:200], dataset_hash=dataset_hash,
        numpy_version=numeric.get("numpy", "")[:32], blas=numeric.get("blas", "")[:100],
    )
