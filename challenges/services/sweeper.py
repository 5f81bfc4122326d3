"""The periodic sweeper: no accepted run is ever left without an end.

- a running run that used up its time limit (its heartbeat went on until the limit, or it
  is still beating long past it) ends as `timed_out`;
- a running run whose heartbeat went stale before its limit lost its worker: it is
  re-enqueued, and the next worker to take it starts the next attempt; after
  `RUN_MAX_ATTEMPTS` attempts it ends as `failed` with the reason;
- a queued run whose task seems lost (enqueued long ago, never started) is enqueued again.
A duplicate task is harmless: `run_claim` lets only one attempt hold a run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from challenges.models import Run, RunStatus
from challenges.services.fair_share import WAITING, runs_dispatch
from challenges.services.live import publish_run_status
from challenges.services.queue import HARD_LIMIT_GRACE, run_enqueue
from challenges.services.runs import heartbeat_stale_after, notify_run_finished

QUEUED_REENQUEUE_AFTER = dt.timedelta(minutes=5)


@dataclass
class SweepReport:
    """What one sweep did, by run id."""

    timed_out: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    reenqueued: list[int] = field(default_factory=list)


def runs_sweep(*, now: dt.datetime | None = None) -> SweepReport:
    """Find runs that lost their worker or their task, and give each one an end."""
    now = now or timezone.now()
    report = SweepReport()
    running = Run.objects.filter(status=RunStatus.RUNNING).select_related("challenge", "owner")
    for run in running:
        limit = dt.timedelta(seconds=run.challenge.time_limit_seconds)
        stale = run.heartbeat_at is None or run.heartbeat_at < now - heartbeat_stale_after()
        started = run.started_at or run.created_at
        # Beating until its time limit, then silent: the hard limit killed it. Still beating
        # long past it: it overran, and its writes are fenced off once it is ended.
        ran_out = (run.heartbeat_at is not None and run.heartbeat_at >= started + limit) or (
            not stale and now > started + limit + dt.timedelta(seconds=HARD_LIMIT_GRACE + 30)
        )
        if ran_out:
            if _end(run, RunStatus.TIMED_OUT, now,
                    f"The run exceeded challenge '{run.challenge.slug}''s time limit of "
                    f"{run.challenge.time_limit_seconds} s after {run.epochs_done} epochs and "
                    "was stopped. Try fewer epochs or a smaller network."):
                report.timed_out.append(run.pk)
            continue
        if not stale:
            continue
        # Silent before its time limit: its worker died. Start over as the next attempt.
        if run.attempt >= settings.RUN_MAX_ATTEMPTS:
            if _end(run, RunStatus.FAILED, now,
                    f"The worker training this run stopped responding {run.attempt} times; "
                    "it was stopped. This is our fault, not your spec's, and did not count "
                    "against your quota."):
                report.failed.append(run.pk)
        elif _mark_enqueued(run, now):
            run_enqueue(run)
            report.reenqueued.append(run.pk)
    # A waiting run has no task to lose (fair shares); its builder's next end sends it, and
    # this sweep does too should that ever have been missed.
    for owner_id in set(Run.objects.filter(WAITING).values_list("owner_id", flat=True)):
        report.reenqueued += runs_dispatch(owner_id=owner_id)
    lost = Run.objects.filter(status=RunStatus.QUEUED, waiting=False).filter(
        Q(enqueued_at__lt=now - QUEUED_REENQUEUE_AFTER) | Q(enqueued_at__isnull=True)
    ).select_related("challenge")
    for run in lost:
        if _mark_enqueued(run, now, status=RunStatus.QUEUED):
            run_enqueue(run)
            report.reenqueued.append(run.pk)
    return report


def _end(run: Run, status: str, now: dt.datetime, error: str) -> bool:
    ended = bool(
        Run.objects.filter(pk=run.pk, status=RunStatus.RUNNING, attempt=run.attempt).update(
            status=status, finished_at=now, error=error
        )
    )
    if ended:
        run.refresh_from_db()
        notify_run_finished(run)
        publish_run_status(run)
        runs_dispatch(owner_id=run.owner_id)
    return ended


def _mark_enqueued(run: Run, now: dt.datetime, status: str = RunStatus.RUNNING) -> bool:
    # Enqueue a run at most once per stale period, however often the sweeper runs.
    recent = now - (heartbeat_stale_after() if status == RunStatus.RUNNING
                    else QUEUED_REENQUEUE_AFTER)
    return bool(
        Run.objects.filter(pk=run.pk, status=status, attempt=run.attempt)
        .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=recent))
        .update(enqueued_at=now)
    )
