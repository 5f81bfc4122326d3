"""A worker child keeps its database connection from task to task.

Celery's Django fixup closes every connection before and after each task unless
`CELERY_DB_REUSE_MAX` is set; Django's default `CONN_MAX_AGE` 0 would close it too. A tiny
run then paid a new PostgreSQL connection (fork, authentication) per task: py-spy showed the
load bench's workers waiting in `Connection.connect` at a run's claim, and each child using
~10 % of a core while runs queued. So a child sets its connections' `CONN_MAX_AGE` to
WORKER_CONN_MAX_AGE and, after each task, closes only one that is unusable (an error
occurred and it fails its health check) or older than that.
"""

from __future__ import annotations

from django.conf import settings
from django.db import close_old_connections, connections


def keep_database_connections(**_: object) -> None:
    """In a new pool child: let its connections live WORKER_CONN_MAX_AGE seconds."""
    for alias in connections:
        connections.settings[alias]["CONN_MAX_AGE"] = settings.WORKER_CONN_MAX_AGE


def close_unusable_connections(**_: object) -> None:
    """After a task: close a connection that broke or grew old; keep a good one."""
    close_old_connections()
