"""Health checks for /healthz: the database, Redis, and at least one live Celery worker."""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis
from django.conf import settings
from django.db import connection

from descent.celery import app

WORKER_PING_TIMEOUT = 1.5


@dataclass(frozen=True)
class Check:
    """The outcome of one check: `ok`, how long it took, and what is wrong if not ok."""

    name: str
    ok: bool
    latency_ms: float
    detail: str

    def as_dict(self) -> dict[str, object]:
        return {"ok": self.ok, "latency_ms": round(self.latency_ms, 1), "detail": self.detail}


def _timed(name: str, probe) -> Check:
    started = time.perf_counter()
    try:
        detail = probe()
        ok = True
    except Exception as exc:  # any failure means "down", and the detail says why
        detail = f"{type(exc).__name__}: {exc}"
        ok = False
    return Check(name, ok, (time.perf_counter() - started) * 1000, detail)


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def _redis() -> str:
    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    finally:
        client.close()
    return "PONG"


def _workers() -> str:
    replies = app.control.ping(timeout=WORKER_PING_TIMEOUT, limit=1)
    if not replies:
        raise RuntimeError(f"no Celery worker answered a ping within {WORKER_PING_TIMEOUT} s")
    names = sorted(name for reply in replies for name in reply)
    return f"{len(names)} worker(s): {', '.join(names)}"


def run_checks() -> list[Check]:
    """Run every check; the worker ping is skipped when Redis, its broker, is down."""
    checks = [_timed("database", _database), _timed("redis", _redis)]
    if checks[1].ok:
        checks.append(_timed("workers", _workers))
    else:
        checks.append(Check("workers", False, 0.0, "not checked: Redis, the broker, is down"))
    return checks
