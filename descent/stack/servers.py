"""The server and worker command lines and a wait for a port: shared by make run, tests, benches.

Every process Descent runs is started from a command line built here, so a change of module
(the Celery app, the ASGI application) is a one-line change for make run, the tests, the
benchmarks and the several-hosts bench alike.
"""

from __future__ import annotations

import socket
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

BIN = Path(sys.executable).parent
ASGI_SERVERS = ("uvicorn", "daphne")
ASGI_APPLICATION = "descent.asgi:application"
# The Celery app, as `celery -A` names it.
CELERY_APP = "descent.celery"


def asgi_server_command(server: str, *, host: str, port: int, quiet: bool = False) -> list[str]:
    """Return the command that serves `descent.asgi:application` with `server`."""
    if server == "uvicorn":
        command = [str(BIN / "uvicorn"), ASGI_APPLICATION, "--host", host,
                   "--port", str(port), "--lifespan", "off", "--no-access-log"]
        return [*command, "--log-level", "warning"] if quiet else command
    if server == "daphne":
        command = [str(BIN / "daphne"), "-b", host, "-p", str(port)]
        return [*command, "-v", "0", ASGI_APPLICATION] if quiet else [*command, ASGI_APPLICATION]
    raise ValueError(f"unknown ASGI server {server!r}: use one of {', '.join(ASGI_SERVERS)}")


def celery_worker_command(*, hostname: str, concurrency: int = 1, queues: Sequence[str] = (),
                          loglevel: str = "INFO", quiet: bool = False,
                          extra: Sequence[str] = ()) -> list[str]:
    """Return the command of a prefork Celery worker named `hostname` (`%h` is the host).

    `queues` empty: the default queue (settings' `CELERY_TASK_DEFAULT_QUEUE`, else `celery`).
    """
    command = [str(BIN / "celery"), *(["--quiet"] if quiet else []), "-A", CELERY_APP,
               "worker", "--loglevel", loglevel, "--concurrency", str(concurrency),
               "--hostname", hostname]
    if queues:
        command += ["--queues", ",".join(queues)]
    return [*command, *extra]


def celery_beat_command(*, schedule: str | Path, loglevel: str = "INFO") -> list[str]:
    """Return the command of the Celery beat scheduler (run exactly one per deployment)."""
    return [str(BIN / "celery"), "-A", CELERY_APP, "beat", "--loglevel", loglevel,
            "--schedule", str(schedule)]


def wait_for_port(port: int, *, timeout: float, alive: Callable[[], bool],
                  host: str = "127.0.0.1") -> None:
    """Wait until something listens on `host`:`port`; fail early once `alive()` is False."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError(f"the server exited before listening on {host}:{port}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listened on {host}:{port} within {timeout} s")
