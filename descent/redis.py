"""One Redis client per process, made on first use from settings.REDIS_URL."""

from __future__ import annotations

import threading

import redis
from django.conf import settings

_lock = threading.Lock()
_clients: dict[str, redis.Redis] = {}


def get_redis() -> redis.Redis:
    """Return this process's Redis client (thread-safe: redis-py pools its connections)."""
    url = settings.REDIS_URL
    client = _clients.get(url)
    if client is None:
        with _lock:
            client = _clients.get(url) or redis.Redis.from_url(url, socket_timeout=5)
            _clients[url] = client
    return client
