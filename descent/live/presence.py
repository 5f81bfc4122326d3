"""Who is online, across every ASGI process, right after crashes: expiring Redis entries.

Each WebSocket connection keeps one member in a sorted set per room, scored by its expiry
time, and refreshes it every PRESENCE_REFRESH_SECONDS (20). A process that dies stops
refreshing and its members lapse after PRESENCE_TTL_SECONDS (60); nothing is a counter that
could drift. The count is of distinct builders (a builder with three tabs open counts once;
each anonymous connection counts as one).
"""

from __future__ import annotations

import time

import redis.asyncio as aioredis
from django.conf import settings

from descent.live.process_local import per_event_loop


@per_event_loop
def _client() -> aioredis.Redis:
    # asyncio connections belong to the loop that opened them.
    return aioredis.Redis.from_url(settings.REDIS_URL, **settings.REDIS_ASYNC_POOL)


def presence_group(room: str) -> str:
    """Return the live group of a presence room's sockets (`/ws/presence/<room>/`).

    Besides the room's count, other code may send that page's visitors small events there:
    the board's "new thread" (community.services.threads).
    """
    return f"presence.{room}"


def _key(room: str) -> str:
    return f"descent:presence:{room}"


def member_for(user, channel_name: str) -> str:
    """Name a connection's member: the builder (if signed in) and the connection."""
    if user is not None and user.is_authenticated:
        return f"u{user.pk}|{channel_name}"
    return f"anon|{channel_name}"


async def presence_touch(room: str, member: str) -> None:
    """Mark `member` present in `room` for the next PRESENCE_TTL_SECONDS."""
    await _client().zadd(_key(room), {member: time.time() + settings.PRESENCE_TTL_SECONDS})


async def presence_leave(room: str, member: str) -> None:
    """Remove `member` from `room` now (a clean disconnect)."""
    await _client().zrem(_key(room), member)


async def presence_count(room: str) -> int:
    """Count distinct builders present in `room` now (expired members are dropped)."""
    now = time.time()
    async with _client().pipeline(transaction=False) as pipe:
        pipe.zremrangebyscore(_key(room), "-inf", now)
        pipe.zrangebyscore(_key(room), now, "+inf")
        _removed, members = await pipe.execute()
    builders = set()
    for raw in members:
        who, _, channel = raw.decode().partition("|")
        builders.add(who if who != "anon" else channel)
    return len(builders)
