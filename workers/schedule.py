"""The periodic schedule that `celery beat` runs (sweepers are added by later issues)."""

from __future__ import annotations

from typing import Any

BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "heartbeat": {"task": "workers.tasks.beat_heartbeat", "schedule": 30.0},
}
