"""One Redis client per process, made on first use from settings.REDIS_URL."""

from __future__ import annotations

import redis
import redis.asyncio as aioredis
from django.conf import settings

from descent.live.process_local import per_event_loop, per_process


@per_process
def get_redis() -> redis.Redis:
    """Return this process's Redis client (thread-safe: redis-py pools its connections)."""
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=5)


@per_event_loop
def get_async_redis() -> aioredis.Redis:
    """Return the running event loop's asyncio Redis client (its connections are the loop's)."""
    return aioredis.Redis.from_url(settings.REDIS_URL, **settings.REDIS_ASYNC_POOL)
