"""Celery tasks. Each is a shell: load by id, call a service, own retries."""

from __future__ import annotations

import time

from celery import shared_task

from challenges.services.sweeper import runs_sweep
from challenges.services.verification import verification_sweep
from descent.redis import get_redis
from workers.terrain import compute_terrain as terrain
from workers.training import train_run as train
from workers.verification import verify_run as verify


@shared_task(name="workers.tasks.echo")
def echo(value: str) -> str:
    """Return the value unchanged: proves a task travels broker → worker → result backend."""
    return value


@shared_task(name="workers.tasks.beat_heartbeat", ignore_result=True)
def beat_heartbeat() -> None:
    """Record that the scheduler is alive, for /healthz and the operators."""
    get_redis().set("descent:beat:last", str(time.time()), ex=300)


@shared_task(name="workers.tasks.train_run", ignore_result=True)
def train_run(run_id: int) -> str:
    """Train one run; a redelivered task for a finished or live run does nothing."""
    return train(run_id)


@shared_task(name="workers.tasks.compute_terrain", ignore_result=True,
             soft_time_limit=120, time_limit=150)
def compute_terrain(terrain_id: int) -> str:
    """Compute a finished run's (or lab's) terrain; a redelivered task computes it again."""
    return terrain(terrain_id)


@shared_task(name="workers.tasks.sweep_runs", ignore_result=True)
def sweep_runs() -> dict[str, list[int]]:
    """Give every run that lost its worker or its task an end (see services.sweeper)."""
    report = runs_sweep()
    return {"timed_out": report.timed_out, "failed": report.failed,
            "reenqueued": report.reenqueued}


@shared_task(name="workers.tasks.verify_run", ignore_result=True)
def verify_run(run_id: int, forwarded_from: str = "") -> str:
    """Re-train a run on another worker and record whether it reproduces (verification)."""
    return verify(run_id, forwarded_from=forwarded_from)


@shared_task(name="workers.tasks.sweep_verifications", ignore_result=True)
def sweep_verifications() -> dict[str, list]:
    """Verify the top entries of challenges that closed; re-send checks that got lost."""
    report = verification_sweep()
    return {"challenges": report.challenges, "resent": report.resent}
