"""The Celery app: Redis broker, JSON only, the settings that never lose a task, beat's schedule.

Celery's documented Django layout, except that `descent/__init__.py` stays empty (so that
`import descent.engine` loads neither Django nor Celery): every user names this module
instead. Its configuration is the `CELERY_*` block of `descent/settings/base.py`, read lazily
through Django's settings; tasks are found in the installed apps' `tasks` modules
(`workers/tasks.py`). Start a worker with `celery -A descent.celery worker`, the scheduler
with `celery -A descent.celery beat` (`make run` starts both). The web side sends tasks by
name through `app.send_task`, so it never imports `workers/`.
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "descent.settings.local")
# One BLAS thread per process, set before anything imports numpy: a worker already runs one
# child per core, and the engine's matrices are small, so BLAS threads only fight each other
# (5-50x slower runs measured with the default). An operator's own value wins.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

# Periodic tasks (the sweepers), by task name; settings' CELERY_TASK_ROUTES send them to the
# maintenance queue. Runs are swept every 5 s: with the 10 s stale mark, a run whose whole
# worker died trains again on another within ~15 s (docs/reliability.md); a sweep is one
# indexed query when nothing is lost.
RUNS_SWEEP_SECONDS = 5.0
BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "heartbeat": {"task": "workers.tasks.beat_heartbeat", "schedule": 30.0},
    "sweep-runs": {"task": "workers.tasks.sweep_runs", "schedule": RUNS_SWEEP_SECONDS},
    # Challenges that closed get their top entries verified; lost checks are sent again.
    "sweep-verifications": {"task": "workers.tasks.sweep_verifications", "schedule": 60.0},
}

app = Celery("descent")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.beat_schedule = BEAT_SCHEDULE
app.autodiscover_tasks()
