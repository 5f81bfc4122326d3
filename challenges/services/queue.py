"""Hand runs to the Celery workers, with the time limits of the run's challenge.

Tasks go by name through the app in `descent.celery`: the web side never imports `workers/`.
"""

from __future__ import annotations

from challenges.models import Run
from descent.celery import app

TRAIN_TASK = "workers.tasks.train_run"
# Seconds between the soft limit (the run ends as timed_out) and the hard kill (backstop).
HARD_LIMIT_GRACE = 30


def run_enqueue(run: Run) -> None:
    """Send the training task for `run`; the soft time limit is the challenge's budget."""
    limit = run.challenge.time_limit_seconds
    app.send_task(
        TRAIN_TASK, args=[run.pk], soft_time_limit=limit, time_limit=limit + HARD_LIMIT_GRACE
    )
