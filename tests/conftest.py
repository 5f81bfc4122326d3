"""Fixtures shared by every test package: real workers and servers on the test Redis."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import stack


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
