"""Hand runs to the Celery workers, with the time limits of the run's challenge.

Tasks go by name through the app in `descent.celery`: the web side never imports `workers/`.
"""

from __future__ import annotations

from django.conf import settings

from challenges.models import Run
from descent.celery import app

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
