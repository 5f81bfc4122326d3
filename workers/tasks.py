"""Celery tasks. Each is a shell: load by id, call a service, own retries."""

from __future__ import annotations

import time

from celery import shared_task
from django.conf import settings


@shared_task(name="workers.tasks.echo")
def echo(value: str) -> str:
    """Return the value unchanged: proves a task travels broker → worker → result backend."""
    return value


@shared_task(name="workers.tasks.beat_heartbeat", ignore_result=True)
def beat_heartbeat() -> None:
    """Record that the scheduler is alive, for /healthz and the operators."""
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    client.set("descent:beat:last", str(time.time()), ex=300)
