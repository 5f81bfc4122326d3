"""Fixtures shared by every test package: real workers and servers on the test Redis."""

from __future__ import annotations

from collections.abc import Iterator

import os

import pytest
from hypothesis import settings as hypothesis_settings

from tests.support import stack

# CI explores the same examples every run, so a red build is reproducible; developers' runs
# keep exploring new ones.
hypothesis_settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
hypothesis_settings.register_profile("dev", deadline=None)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "dev")


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
