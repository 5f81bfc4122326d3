"""`make bench-load`'s own stack on this machine: database, Redis, ASGI servers, workers, beat.

- the database: a database of the bench's own (`descent_bench_load`, dropped and created
  afresh) on the machine's PostgreSQL when one answers at `BENCH_POSTGRES_URL` (default
  `postgres://postgres@127.0.0.1:5432/postgres`), else a fresh SQLite file under var/bench/;
- Redis: an embedded one under var/bench/ (never the machine's 6379, which others share);
- `servers` Uvicorn processes on free ports, one Celery worker per entry of `worker_queues`
  (each entry the queues that worker consumes; empty = the default queue), and beat once;

every process with `descent.settings.bench` (production's settings with the bench's limits),
its output in var/bench/load-logs/. `stop()` stops them all (the supervisor: SIGTERM, then
SIGKILL) and drops the bench database.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.environment import BENCH_DIR, ROOT
from descent.stack.redis_server import EmbeddedRedis, free_port
from descent.stack.servers import (
    asgi_server_command,
    celery_beat_command,
    celery_worker_command,
    wait_for_port,
)
from descent.stack.supervisor import Supervisor

DATABASE_NAME = "descent_bench_load"
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def postgres_database(name: str) -> str | None:
    """Create database `name` afresh on the machine's PostgreSQL; return its URL, or None."""
    try:
        import psycopg
    except ImportError:
        return None
    admin_url = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error:
        return None
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def postgres_drop(url: str) -> None:
    import psycopg

    admin_url = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    name = url.rsplit("/", 1)[1]
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except psycopg.Error as exc:
        print(f"bench-load: could not drop database {name}: {exc}", file=sys.stderr)


@dataclass
class LocalStack:
    """The processes of one `make bench-load` run."""

    servers: int = 2
    worker_queues: Sequence[Sequence[str]] = (("celery", "short", "long"),
                                              ("celery", "short", "long"))
    worker_concurrency: int = 1
    database: str = "auto"  # auto | postgres | sqlite
    slug: str = "load-blobs"
    daily_quota: int = 20
    keep_database: bool = False
    supervisor: Supervisor = field(init=False)
    redis: EmbeddedRedis | None = field(init=False, default=None)
    env: dict[str, str] = field(init=False, default_factory=dict)
    urls: list[str] = field(init=False, default_factory=list)
    database_url: str = field(init=False, default="")
    logs: Path = field(init=False, default=BENCH_DIR / "load-logs")

    def __post_init__(self) -> None:
        self.supervisor = Supervisor(dict(os.environ))

    @property
    def database_kind(self) -> str:
        return self.database_url.split(":", 1)[0]

    def start(self) -> None:
        """Start everything and return once every server listens and every worker answers."""
        self.logs.mkdir(parents=True, exist_ok=True)
        for old in self.logs.glob("*.log"):
            old.unlink()
        self.redis = EmbeddedRedis(BENCH_DIR / "load-redis")
        redis_url = self.redis.start()
        self.database_url = self._database()
        var_dir = BENCH_DIR / "load-var"
        var_dir.mkdir(parents=True, exist_ok=True)
        self.env = dict(
            os.environ, DJANGO_SETTINGS_MODULE="descent.settings.bench", DEBUG="0",
            SECRET_KEY=secrets.token_urlsafe(64), ALLOWED_HOSTS="127.0.0.1,localhost",
            DATABASE_URL=self.database_url, REDIS_URL=redis_url, DESCENT_VAR_DIR=str(var_dir),
            LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1",
        )
        self.supervisor.env = self.env
        self._run("migrate", [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"])
        self._run("seed", [sys.executable, "-m", "bench.load.seed", "--slug", self.slug,
                           "--daily-quota", str(self.daily_quota)])
        ports = [free_port() for _ in range(self.servers)]
        for index, port in enumerate(ports, start=1):
            self.supervisor.start(
                f"web{index}",
                [*asgi_server_command("uvicorn", host="127.0.0.1", port=port),
                 "--backlog", "4096", "--timeout-graceful-shutdown", "5"],
                log=self.logs / f"web{index}.log")
        host = socket.gethostname()
        names = []
        for index, queues in enumerate(self.worker_queues, start=1):
            names.append(f"load{index}@{host}")
            self.supervisor.start(
                f"worker{index}",
                celery_worker_command(hostname=names[-1], concurrency=self.worker_concurrency,
                                      queues=queues, loglevel="WARNING"),
                log=self.logs / f"worker{index}.log")
        self.supervisor.start("beat", celery_beat_command(
            schedule=var_dir / "celerybeat-schedule", loglevel="WARNING"),
            log=self.logs / "beat.log")
        for port in ports:
            wait_for_port(port, timeout=60, alive=lambda: self.supervisor.dead_child() is None)
        self.urls = [f"http://127.0.0.1:{port}" for port in ports]
        self._wait_for_workers(names)

    def _database(self) -> str:
        if self.database in ("auto", "postgres"):
            url = postgres_database(DATABASE_NAME)
            if url is not None:
                return url
            if self.database == "postgres":
                admin_url = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
                raise RuntimeError(f"no PostgreSQL answers at BENCH_POSTGRES_URL ({admin_url})")
        path = BENCH_DIR / "load.sqlite3"
        for leftover in BENCH_DIR.glob("load.sqlite3*"):
            leftover.unlink()
        return f"sqlite:///{path}"

    def _run(self, name: str, args: list[str]) -> None:
        with (self.logs / f"{name}.log").open("ab") as out:
            result = subprocess.run(args, cwd=ROOT, env=self.env, stdout=out,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        if result.returncode != 0:
            raise RuntimeError(f"{name} failed ({result.returncode}): see {self.logs}/{name}.log")

    def _wait_for_workers(self, names: list[str], timeout: float = 60.0) -> None:
        """Ask the workers for a ping (Celery's own control channel) until all answer."""
        script = ("import sys; from descent.celery import app; "
                  "r = app.control.ping(destination=sys.argv[1:], timeout=1.0); "
                  "sys.exit(0 if len(r) == len(sys.argv) - 1 else 1)")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            dead = self.supervisor.dead_child()
            if dead is not None:
                raise RuntimeError(f"{dead.name} exited with {dead.process.returncode}: see "
                                   f"{self.logs}/{dead.name}.log")
            if subprocess.run([sys.executable, "-c", script, *names], cwd=ROOT, env=self.env,
                              capture_output=True).returncode == 0:
                return
            time.sleep(0.5)
        raise TimeoutError(f"the workers {names} did not answer a ping in {timeout:.0f} s")

    def problem(self) -> str | None:
        """Why the bench must stop now, if it must: a signal, a lost parent or a dead child."""
        if self.supervisor.stopping:
            return "told to stop"
        dead = self.supervisor.dead_child()
        if dead is not None:
            return f"{dead.name} exited with {dead.process.returncode} (see {self.logs})"
        return None

    def stop(self) -> list[str]:
        """Stop every process, Redis last; drop the bench database. Return what was killed."""
        killed = self.supervisor.stop()
        if self.redis is not None:
            self.redis.stop()
        if self.database_url.startswith("postgres") and not self.keep_database:
            postgres_drop(self.database_url)
        return killed
