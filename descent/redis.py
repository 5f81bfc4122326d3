"""One Redis client per process, made on first use from settings.REDIS_URL."""

from __future__ import annotations

import redis
from django.conf import settings

from descent.live.process_local import per_process


@per_process
def get_redis() -> redis.Redis:
    """Return this process's Redis client (thread-safe: redis-py pools its connections)."""
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=5)
