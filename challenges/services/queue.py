"""Hand runs to the Celery workers, with the time limits of the run's challenge.

Tasks go by name through the app in `descent.celery`: the web side never imports `workers/`.
"""

from __future__ import annotations

import logging

from django.conf import settings

from challenges.models import Run, RunStatus
from descent.celery import app
from descent.unavailable import UNAVAILABLE_ERRORS

log = logging.getLogger(__name__)

TRAIN_TASK = "workers.tasks.train_run"
# Seconds between the soft limit (the run ends as timed_out) and the hard kill (backstop).
HARD_LIMIT_GRACE = 30


def run_queue(run: Run) -> str:
    """Name the queue of `run`: `long` from RUN_LONG_WORK_THRESHOLD estimated work, else `short`."""
    if run.estimated_work >= settings.RUN_LONG_WORK_THRESHOLD:
        return settings.RUN_QUEUE_LONG
    return settings.RUN_QUEUE_SHORT


def run_enqueue(run: Run) -> None:
    """Send the training task for `run` to its queue; the soft time limit is the budget's."""
    limit = run.challenge.time_limit_seconds
    app.send_task(
        TRAIN_TASK, args=[run.pk], queue=run_queue(run), soft_time_limit=limit,
        time_limit=limit + HARD_LIMIT_GRACE,
    )


def run_leave_to_sweeper(run: Run) -> None:
    """Leave a recorded run whose task could not be sent (Redis down) to the sweeper.

    Called after the run's commit: the run is accepted and must not be lost. Its `enqueued_at`
    is cleared, which the sweeper reads as "never sent", and it sends the task at its next sweep
    once Redis is back (challenges/services/sweeper.py).
    """
    log.warning("run %s: Redis unavailable, left to the sweeper to enqueue", run.pk,
                exc_info=True)
    Run.objects.filter(pk=run.pk, status=RunStatus.QUEUED).update(enqueued_at=None)


def run_enqueue_or_leave_to_sweeper(run: Run) -> None:
    """Send `run`'s task; if Redis is down, leave the run to the sweeper (never lost)."""
    try:
        run_enqueue(run)
    except UNAVAILABLE_ERRORS:
        run_leave_to_sweeper(run)
