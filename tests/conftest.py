"""Fixtures shared by every test package: real workers and servers on the test Redis."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import settings as hypothesis_settings

from tests.support import stack

# CI explores the same examples every run, so a red build is reproducible; developers' runs
# keep exploring new ones.
hypothesis_settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
hypothesis_settings.register_profile("dev", deadline=None)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(autouse=True)
def clean_cache(request) -> Iterator[None]:
    """Forget throttle and log-in counters, and kept live boards, between database tests.

    Throttles key on user ids, and ids come back after a rolled-back test: without this, one
    test's requests would count against the next one's limits.
    """
    if request.node.get_closest_marker("django_db") is None and not (
        {"db", "transactional_db", "client", "admin_client"} & set(request.fixturenames)
    ):
        yield
        return
    import redis
    from django.conf import settings

    def clear() -> None:
        client = redis.Redis.from_url(settings.REDIS_URL)
        keys = list(client.scan_iter(match=f"{settings.CACHES['default']['KEY_PREFIX']}:*"))
        # The board the live publisher keeps per challenge: its rows name runs of a database
        # that the test just threw away (ids and slugs come back in the next test).
        keys += list(client.scan_iter(match="descent:leaderboard:*:board"))
        if keys:
            client.delete(*keys)
        client.close()

    clear()
    yield
    clear()


@pytest.fixture
def live_worker(transactional_db) -> Iterator[str]:
    """A real Celery worker process that sees the test database; yields its hostname."""
    with stack.celery_worker() as (_process, hostname):
        yield hostname


@pytest.fixture
def live_server_port(transactional_db) -> Iterator[int]:
    """A real uvicorn process serving the ASGI application; yields its port."""
    with stack.asgi_server() as (_process, port):
        yield port
