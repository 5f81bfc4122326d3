"""The Celery app: Redis broker, JSON only, and the settings that never lose a task.

Its configuration is the `CELERY_*` block of `descent/settings/base.py`, read lazily through
Django's settings. Start a worker with `celery -A workers worker`, the scheduler with
`celery -A workers beat` (`make run` starts both).
"""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "descent.settings.local")

app = Celery("descent")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["workers"])


@worker_process_init.connect
def limit_child_memory(**_: object) -> None:
    """Cap each pool child's address space, so a runaway spec raises MemoryError in it."""
    from workers.limits import apply_memory_limit

    apply_memory_limit()
