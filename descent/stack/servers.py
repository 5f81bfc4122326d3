"""The server and worker command lines and a wait for a port: shared by make run, tests, benches.

Every process Descent runs is started from a command line built here, so a change of module
(the Celery app, the ASGI application) is a one-line change for make run, the tests, the
benchmarks and the several-hosts bench alike.
"""

from __future__ import annotations

import socket
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from descent.client_address import trusted_proxies_from_env

BIN = Path(sys.executable).parent
ASGI_SERVERS = ("uvicorn", "daphne")
ASGI_APPLICATION = "descent.asgi:application"
# The Celery app, as `celery -A` names it.
CELERY_APP = "descent.celery"
# WebSocket frames: the consumers refuse anything over 1 KB (descent/websocket_guards.py), so the
# server need not read Uvicorn's default 16 MiB before they see it (it closes with 1009).
# Its protocol keeps at most 16 KiB queued per client (descent/stack/websocket_protocol.py).
UVICORN_WEBSOCKET_ARGUMENTS = [
    "--ws-max-size", str(64 * 1024),
    "--ws", "descent.stack.websocket_protocol:BoundedWebSocketProtocol",
]


def proxy_arguments(server: str, trusted: list[str]) -> list[str]:
    """Return the flags that make `server` believe proxy headers from `trusted` only.

    Uvicorn believes X-Forwarded-For/-Proto from 127.0.0.1 unless told otherwise, so any local
    client could spoof its address (and reset a per-address limit): with no TRUSTED_PROXIES
    the headers are ignored altogether. Daphne reads them only when asked, from any peer, so it
    is asked only when proxies are configured (put it behind them alone).
    """
    if server == "uvicorn":
        if not trusted:
            return ["--no-proxy-headers"]
        return ["--proxy-headers", "--forwarded-allow-ips", ",".join(trusted)]
    return ["--proxy-headers"] if trusted else []


def asgi_server_command(server: str, *, host: str, port: int, quiet: bool = False,
                        trusted_proxies: list[str] | None = None) -> list[str]:
    """Return the command that serves `descent.asgi:application` with `server`.

    `trusted_proxies` defaults to TRUSTED_PROXIES from the environment
    (`descent.client_address`), the list Django reads too.
    """
    trusted = trusted_proxies_from_env() if trusted_proxies is None else trusted_proxies
    if server == "uvicorn":
        command = [str(BIN / "uvicorn"), ASGI_APPLICATION, "--host", host,
                   "--port", str(port), "--lifespan", "off", "--no-access-log",
                   *proxy_arguments(server, trusted), *UVICORN_WEBSOCKET_ARGUMENTS]
        return [*command, "--log-level", "warning"] if quiet else command
    if server == "daphne":
        command = [str(BIN / "daphne"), "-b", host, "-p", str(port),
                   *proxy_arguments(server, trusted)]
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


# The queue of the sweeps and the beat's heartbeat (settings' MAINTENANCE_QUEUE and
# CELERY_TASK_ROUTES): its worker trains nothing, so a pool busy with runs never delays them.
MAINTENANCE_QUEUE = "maintenance"


def maintenance_worker_command(*, hostname: str, queue: str = MAINTENANCE_QUEUE,
                               loglevel: str = "INFO", quiet: bool = False,
                               extra: Sequence[str] = ()) -> list[str]:
    """Return the command of the maintenance worker: one process (`--pool solo`), its queue only."""
    return celery_worker_command(hostname=hostname, concurrency=1, queues=[queue],
                                 loglevel=loglevel, quiet=quiet,
                                 extra=["--pool", "solo", *extra])


@dataclass(frozen=True)
class WorkerPool:
    """One Celery worker of `make run`: the queues it consumes and its processes."""

    name: str
    queues: tuple[str, ...]  # empty: every queue in CELERY_TASK_QUEUES
    concurrency: int


def worker_pools(env: Mapping[str, str], *, concurrency: int) -> list[WorkerPool]:
    """Lay out `make run`'s workers: by default one for `short` runs and the other tasks, one
    for `long` runs (WORKER_POOLS=split); WORKER_POOLS=shared: one worker consuming every queue.

    The queue names default as in the settings (`RUN_QUEUE_SHORT`, `RUN_QUEUE_LONG`,
    `CELERY_DEFAULT_QUEUE`), which read the same variables.
    """
    mode = env.get("WORKER_POOLS", "split")
    if mode == "shared":
        return [WorkerPool("worker", (), concurrency)]
    if mode != "split":
        raise ValueError(f"WORKER_POOLS={mode!r}: use split (a worker per queue) or shared")
    short = (env.get("CELERY_DEFAULT_QUEUE", "celery"), env.get("RUN_QUEUE_SHORT", "short"))
    return [
        WorkerPool("worker", short, int(env.get("WORKER_SHORT_CONCURRENCY", concurrency))),
        WorkerPool("worker-long", (env.get("RUN_QUEUE_LONG", "long"),),
                   int(env.get("WORKER_LONG_CONCURRENCY", "1"))),
    ]


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
