"""Start real Celery workers and ASGI servers for tests, against the test database and Redis.

Each process leads a session of its own and is stopped with its whole process group, so a
failing test never leaves a worker behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from celery import Celery
from django.conf import settings
from django.db import connection

from descent.celery import app
from descent.stack.redis_server import free_port
from descent.stack.servers import (
    asgi_server_command,
    celery_beat_command,
    celery_worker_command,
    maintenance_worker_command,
    wait_for_port,
)

ROOT = Path(__file__).resolve().parent.parent.parent


def database_url() -> str:
    """Return a DATABASE_URL that points another process at the test database."""
    config = connection.settings_dict
    if config["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{Path(config['NAME']).resolve()}"
    if config["ENGINE"] == "django.db.backends.postgresql":
        user = config.get("USER") or ""
        password = f":{config['PASSWORD']}" if config.get("PASSWORD") else ""
        host = config.get("HOST") or "127.0.0.1"
        port = config.get("PORT") or 5432
        return f"postgres://{user}{password}@{host}:{port}/{config['NAME']}"
    raise NotImplementedError(f"no URL for database engine {config['ENGINE']}")


def process_env(**extra: str) -> dict[str, str]:
    """Environment for a subprocess that must share this test session's database and Redis."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="descent.settings.test",
        DATABASE_URL=database_url(),
        REDIS_URL=settings.REDIS_URL,
        DESCENT_TEST_NAMESPACE=settings.TEST_NAMESPACE,
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def stop_process(process: subprocess.Popen, grace: float = 10.0) -> None:
    """Stop a process and everything in its process group: SIGTERM, then SIGKILL."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(5)


def wait_for_worker(hostname: str, timeout: float = 30.0, broker: str | None = None) -> None:
    """Wait until the worker named `hostname` answers a broadcast ping (through `broker`)."""
    # Not the current app: shared tasks of later tests must keep using the session's.
    pinger = Celery(broker=broker, set_as_current=False) if broker else app
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            replies = pinger.control.ping(destination=[hostname], timeout=0.5)
            if replies:
                return
    finally:
        if pinger is not app:
            pinger.close()
    raise TimeoutError(f"Celery worker {hostname} did not answer a ping in {timeout} s")


@contextmanager
def _process(args: list[str], log_name: str, env: dict[str, str],
             ready: str | None = None) -> Iterator[subprocess.Popen]:
    """Run `args` in a session of its own, logging to var/test-logs; stop its whole group."""
    log = settings.VAR_DIR / "test-logs" / log_name
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        process = subprocess.Popen(
            args, cwd=ROOT, env=process_env(**env), start_new_session=True,
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        try:
            if ready is not None:
                wait_for_worker(ready, broker=env.get("REDIS_URL"))
            yield process
        finally:
            stop_process(process)


@contextmanager
def maintenance_worker(**env: str) -> Iterator[tuple[subprocess.Popen, str]]:
    """Run the maintenance worker (`--pool solo`, the session's maintenance queue)."""
    hostname = f"maint-{uuid.uuid4().hex[:8]}@localhost"
    args = maintenance_worker_command(hostname=hostname, queue=settings.MAINTENANCE_QUEUE,
                                      extra=["--without-mingle", "--without-gossip"])
    with _process(args, f"{hostname}.log", env, ready=hostname) as process:
        yield process, hostname


@contextmanager
def celery_beat(**env: str) -> Iterator[subprocess.Popen]:
    """Run the beat scheduler: it sends the sweeps to the session's maintenance queue."""
    schedule = settings.VAR_DIR / "test-logs" / f"beat-{uuid.uuid4().hex[:8]}"
    with _process(celery_beat_command(schedule=schedule), f"{schedule.name}.log", env) as beat:
        yield beat


@contextmanager
def sweeping(**env: str) -> Iterator[None]:
    """Run the sweeper as `make run` does: beat plus the maintenance worker."""
    with maintenance_worker(**env), celery_beat(**env):
        yield


@contextmanager
def celery_worker(*, concurrency: int = 1, queues: str | None = None, purge: bool = True,
                  **env: str) -> Iterator[tuple[subprocess.Popen, str]]:
    """Run a real prefork Celery worker on this session's queue; yield (process, hostname).

    By default it consumes the session's queues — the default one and the runs' `short` and
    `long` (`CELERY_TASK_QUEUES`); `queues` replaces them (a worker on another queue only
    gets what is sent to it, or to its own `<hostname>.dq2` queue). `purge=False` keeps the
    tasks already queued, for a test that queues a run before any worker is up.
    """
    hostname = f"test-{uuid.uuid4().hex[:8]}@localhost"
    args = celery_worker_command(
        hostname=hostname, concurrency=concurrency,
        queues=queues.split(",") if queues else (),
        extra=["--pool", "prefork", "--without-mingle", "--without-gossip"],
    )
    log = settings.VAR_DIR / "test-logs" / f"{hostname}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    # Tasks left in this session's queue by earlier tests name runs that no longer exist.
    if purge:
        app.control.purge()
    with log.open("wb") as out:
        process = subprocess.Popen(
            args, cwd=ROOT, env=process_env(**env), start_new_session=True,
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        try:
            wait_for_worker(hostname, broker=env.get("REDIS_URL"))
            yield process, hostname
        finally:
            stop_process(process)


@contextmanager
def asgi_server(*, port: int | None = None,
                **env: str) -> Iterator[tuple[subprocess.Popen, int]]:
    """Run the real ASGI application in a real Uvicorn process; yield (process, port).

    Pass the `port` of a server that was stopped to restart it where its clients left it.
    """
    port = port or free_port()
    args = asgi_server_command("uvicorn", host="127.0.0.1", port=port)
    log = settings.VAR_DIR / "test-logs" / f"uvicorn-{port}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        process = subprocess.Popen(
            args, cwd=ROOT, env=process_env(**env), start_new_session=True,
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        try:
            wait_for_port(port, timeout=30, alive=lambda: process.poll() is None)
            yield process, port
        finally:
            stop_process(process)
