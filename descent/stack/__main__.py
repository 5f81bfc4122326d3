"""`python -m descent.stack run|test|web|worker|beat`: make run, make test, and one process each.

run:  start Redis (embedded unless REDIS_URL), migrate, seed the demo world, start a Celery
      worker, the maintenance worker (sweeps, on the `maintenance` queue), the Celery beat
      scheduler and the ASGI server; once the server listens and the
      worker answers a ping, print the home page's URL and the admin login;
      on Ctrl-C (SIGINT or SIGTERM) stop every process it started.
test: start Redis (embedded unless REDIS_URL), run pytest with the given arguments, stop Redis,
      and exit with pytest's exit code.
web, worker, beat: become one ASGI server, one Celery worker or the beat scheduler (exec, so
      signals reach it directly), with the command lines `make run` uses: one process of a
      deployment on several hosts or of the Procfile (docs/deploy.md). Nothing else is started;
      REDIS_URL and the other settings come from the environment.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from celery import Celery

from descent.stack.redis_server import EmbeddedRedis
from descent.stack.servers import (
    ASGI_SERVERS,
    asgi_server_command,
    celery_beat_command,
    celery_worker_command,
    maintenance_worker_command,
    wait_for_port,
    worker_pools,
)
from descent.stack.supervisor import Supervisor

ROOT = Path(__file__).resolve().parent.parent.parent


def _redis(env: dict[str, str], *, appendonly: bool = False) -> EmbeddedRedis | None:
    """Start an embedded Redis unless REDIS_URL is set; put its URL into `env`."""
    if env.get("REDIS_URL"):
        return None
    var_dir = Path(env.get("DESCENT_VAR_DIR", ROOT / "var"))
    # Only `make run` keeps an append-only file: test sessions leave nothing behind.
    redis = EmbeddedRedis(var_dir / ("redis" if appendonly else "redis-test"),
                          appendonly=appendonly)
    env["REDIS_URL"] = redis.start()
    print(f"descent: embedded Redis at {env['REDIS_URL']}", flush=True)
    return redis


def _manage_command(*args: str) -> list[str]:
    return [sys.executable, str(ROOT / "manage.py"), *args]


def _wait_ready(url: str, port: int, worker: str, env: dict[str, str], timeout: float,
                supervisor: Supervisor) -> str | None:
    """Wait until the server listens and the worker answers; return why not, or None.

    Only then is /healthz asked, once: polling it earlier would answer 503 ("no worker") and
    print an ERROR line on the console for each poll while the worker boots.
    """
    deadline = time.monotonic() + timeout

    def alive() -> bool:
        return supervisor.dead_child() is None and not supervisor.stopping

    try:
        wait_for_port(port, timeout=timeout, alive=alive)
    except (RuntimeError, TimeoutError) as exc:
        return str(exc)
    # A bare Celery app, no Django: the stack only needs its broadcast ping.
    pinger = Celery(broker=env["REDIS_URL"])
    try:
        while not pinger.control.ping(destination=[worker], timeout=0.5):
            if not alive() or time.monotonic() > deadline:
                return f"the Celery worker {worker} did not answer a ping within {timeout:.0f} s"
    finally:
        pinger.close()
    try:
        # The URL is ours: http://127.0.0.1:<port>/healthz, never user input.
        with urllib.request.urlopen(f"{url}/healthz", timeout=10):  # noqa: S310
            return None
    except urllib.error.HTTPError as exc:
        return f"/healthz answered {exc.code}: {exc.read().decode(errors='replace')[:300]}"
    except OSError as exc:
        return f"/healthz: {exc}"


def run(args: argparse.Namespace) -> int:
    """Serve the site, workers and live updates until SIGINT or SIGTERM."""
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "descent.settings.local")
    env.setdefault("PYTHONUNBUFFERED", "1")
    host, port = args.host, args.port
    server = env.get("DESCENT_ASGI_SERVER", "uvicorn")
    if server not in ASGI_SERVERS:
        print(f"descent: DESCENT_ASGI_SERVER={server!r}: use uvicorn or daphne", file=sys.stderr)
        return 2
    supervisor = Supervisor(env)
    # First of all: a Ctrl-C from here on, set-up included, is an orderly stop of everything.
    supervisor.install_signal_handlers()
    redis: EmbeddedRedis | None = None
    code = 1
    try:
        redis = _redis(env, appendonly=True)
        for name, command in (("migrate", ["migrate", "--noinput", "-v", "0"]),
                              ("seed_demo", ["seed_demo"])):
            result = supervisor.run_step(name, _manage_command(*command))
            if result is None:
                return 0  # stopped by a signal
            if result != 0:
                print(f"descent: set-up step {name} failed with exit code {result}",
                      file=sys.stderr)
                return 1
        worker = f"worker{port}@{socket.gethostname()}"
        for pool in worker_pools(env, concurrency=args.concurrency):  # short and long runs
            supervisor.start(pool.name, celery_worker_command(
                hostname=worker.replace("worker", pool.name, 1), concurrency=pool.concurrency,
                queues=pool.queues))
        supervisor.start("maintenance", maintenance_worker_command(
            hostname=f"maintenance{port}@{socket.gethostname()}"))
        var_dir = Path(env.get("DESCENT_VAR_DIR", ROOT / "var"))
        supervisor.start("beat", celery_beat_command(schedule=var_dir / "celerybeat-schedule"))
        server_command = asgi_server_command(server, host=host, port=port)
        if server == "uvicorn":
            # Open WebSockets get 5 s on stop; then Uvicorn closes them (no SIGKILL needed).
            server_command += ["--timeout-graceful-shutdown", "5"]
        supervisor.start("server", server_command)
        url = f"http://{host}:{port}"
        problem = _wait_ready(url, port, worker, env, 60, supervisor)
        if supervisor.stopping:
            return 0
        if problem is not None:
            dead = supervisor.dead_child()
            why = f"{dead.name} exited with {dead.process.returncode}" if dead else problem
            print(f"descent: {url} did not come up within 60 s ({why})", file=sys.stderr)
            return 1
        result = supervisor.run_step("ensure_admin", _manage_command("ensure_admin", "--url", url))
        if result is None:
            return 0
        print(f"descent: serving on {url}/  (the home page; Ctrl-C stops everything)",
              flush=True)
        code = supervisor.wait()
    finally:
        # Every process it started, set-up steps included, is gone before this returns (and
        # so before `make` does): the supervisor waits for each process group to empty.
        killed = supervisor.stop()
        if redis is not None:
            redis.stop()
        if killed:
            print(f"descent: had to SIGKILL {', '.join(killed)}", file=sys.stderr)
        print("descent: stopped", flush=True)
    return code


def test(args: argparse.Namespace) -> int:
    """Run pytest against REDIS_URL or an embedded Redis; return pytest's exit code."""
    env = dict(os.environ)
    redis = _redis(env)
    try:
        return subprocess.call([sys.executable, "-m", "pytest", *args.pytest_args], env=env)
    finally:
        if redis is not None:
            redis.stop()


def become(args: argparse.Namespace) -> int:
    """Replace this process with one web server, worker or beat (never returns on success)."""
    if args.command == "web":
        command = asgi_server_command(args.server, host=args.host, port=args.port)
        if args.server == "uvicorn":
            # Bound the wait for open WebSockets on SIGTERM: clients reconnect elsewhere.
            command += ["--timeout-graceful-shutdown", str(args.graceful_shutdown)]
    elif args.command == "worker":
        command = celery_worker_command(
            hostname=args.hostname, concurrency=args.concurrency,
            queues=[q for q in args.queues.split(",") if q], loglevel=args.loglevel)
    else:
        command = celery_beat_command(schedule=args.schedule, loglevel=args.loglevel)
    command += args.extra
    sys.stdout.flush()
    os.execv(command[0], command)  # noqa: S606 (our own command line, by its full path)
    return 1  # not reached


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m descent.stack", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="serve the site, workers and live updates")
    run_parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    run_parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    run_parser.add_argument("--concurrency", type=int,
                            default=int(os.environ.get("WORKER_CONCURRENCY", "2")))
    run_parser.set_defaults(handler=run)
    test_parser = commands.add_parser("test", help="run the test suite")
    test_parser.add_argument("pytest_args", nargs=argparse.REMAINDER)
    test_parser.set_defaults(handler=test)
    web_parser = commands.add_parser("web", help="become one ASGI server")
    web_parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    web_parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    web_parser.add_argument("--server", choices=ASGI_SERVERS,
                            default=os.environ.get("DESCENT_ASGI_SERVER", "uvicorn"))
    web_parser.add_argument("--graceful-shutdown", type=int, default=10,
                            help="seconds open connections get on SIGTERM (Uvicorn)")
    worker_parser = commands.add_parser("worker", help="become one Celery worker")
    worker_parser.add_argument("--hostname", default="worker@%h")
    worker_parser.add_argument("--concurrency", type=int,
                               default=int(os.environ.get("WORKER_CONCURRENCY", "2")))
    worker_parser.add_argument("--queues", default=os.environ.get("WORKER_QUEUES", ""),
                               help="comma-separated; empty: every queue (the default one, "
                                    "short and long runs)")
    beat_parser = commands.add_parser("beat", help="become the Celery beat scheduler (once!)")
    beat_parser.add_argument("--schedule", default=os.environ.get(
        "CELERY_BEAT_SCHEDULE_FILE", str(ROOT / "var" / "celerybeat-schedule")))
    for one in (worker_parser, beat_parser):
        one.add_argument("--loglevel", default=os.environ.get("LOG_LEVEL", "INFO"))
    for one in (web_parser, worker_parser, beat_parser):
        one.set_defaults(handler=become)
    args, unknown = parser.parse_known_args(argv)
    if args.command == "test":
        # Everything after `test` belongs to pytest, options included (`-q`, `-p ...`).
        args.pytest_args = [*unknown, *args.pytest_args]
    elif args.command in ("web", "worker", "beat"):
        args.extra = unknown  # passed on to the server, the worker or beat as they are
    elif unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
