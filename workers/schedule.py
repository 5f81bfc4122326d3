"""The periodic schedule that `celery beat` runs. Imported by settings: no Django imports."""

from __future__ import annotations

from typing import Any

BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "heartbeat": {"task": "workers.tasks.beat_heartbeat", "schedule": 30.0},
    "sweep-runs": {"task": "workers.tasks.sweep_runs", "schedule": 30.0},
}
