"""Time recovery from killed workers: a pool child, and a whole worker replaced by a new one.

Starts an embedded Redis (unless REDIS_URL), a fresh SQLite database under var/bench/ (unless
DATABASE_URL), one training worker (one pool process), the maintenance worker and beat, as
`make run` does. Then, `--kills` times each:

- child: SIGKILL the pool process that trains a run (named by `Run.worker_process`); Celery
  requeues the task and the claim takes the run over because that process is gone;
- worker: SIGKILL the whole worker's process group, start a new worker at once; the sweeper
  (every 5 s, on its own queue) re-enqueues the run once its heartbeat is 10 s old.

Prints, per kind, kill → training again (the next attempt's first stored epoch) and
kill → final, min / median / max over the kills, and the run's own training time.

    python -m bench.recovery [--kills 5] [--epochs 400] [--kinds child,worker]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.environment import TINY_SPEC, bench_environment  # noqa: E402
from descent.stack.servers import (  # noqa: E402
    celery_beat_command,
    celery_worker_command,
    maintenance_worker_command,
)
from descent.stack.supervisor import Supervisor  # noqa: E402


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=400)
    parser.add_argument("--kinds", default="child,worker", help="child, worker or both")
    args = parser.parse_args(argv)
    redis = bench_environment("recovery")
    supervisor = Supervisor(dict(os.environ))
    try:
        return _measure(args, supervisor)
    finally:
        supervisor.stop()
        if redis is not None:
            redis.stop()


def _wait(predicate, timeout: float = 300.0, poll: float = 0.01):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError("a run did not recover in time")
        time.sleep(poll)


def _summary(name: str, values: list[float]) -> str:
    return (f"{name:<34} min {min(values):6.2f} s   median {statistics.median(values):6.2f} s"
            f"   max {max(values):6.2f} s")


def _measure(args: argparse.Namespace, supervisor: Supervisor) -> int:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from challenges.models import Challenge, Run
    from challenges.services.challenges import challenge_save
    from challenges.services.submissions import run_submit
    from community.models import User
    from descent.celery import app

    challenge = Challenge.objects.filter(slug="bench-recovery").first() or challenge_save(
        Challenge(slug="bench-recovery", title="Recovery", dataset="blobs", metric="accuracy",
                  status=Challenge.Status.PUBLISHED, daily_quota=10_000,
                  max_epochs=100_000, dataset_params={"n_samples": 3000}))
    user, _ = User.objects.get_or_create(username="bench")
    spec = dict(TINY_SPEC, epochs=args.epochs)
    app.control.purge()
    loglevel = os.environ.get("BENCH_WORKER_LOGLEVEL", "WARNING")
    supervisor.start("maintenance", maintenance_worker_command(hostname="maint@%h",
                                                               loglevel=loglevel))
    supervisor.start("beat", celery_beat_command(
        schedule=ROOT / "var" / "bench" / "recovery-beat", loglevel=loglevel))
    generation = 0

    def start_worker():
        nonlocal generation
        generation += 1
        name = f"recovery{generation}@%h"
        child = supervisor.start(name, celery_worker_command(
            hostname=name, concurrency=1, loglevel=loglevel, extra=["--without-mingle"]))
        _wait(lambda: app.control.ping(destination=[name.replace("%h", os.uname().nodename)],
                                       timeout=0.5), timeout=60)
        return child

    worker = start_worker()
    # Training alone: one run, not killed.
    run = run_submit(user=user, challenge=challenge, spec=spec)
    _wait(lambda: Run.objects.get(pk=run.pk).is_final)
    run.refresh_from_db()
    train_seconds = (run.finished_at - run.started_at).total_seconds()

    figures: dict[str, dict[str, list[float]]] = {}
    for kind in args.kinds.split(","):
        again, final = [], []
        for _ in range(args.kills):
            run = run_submit(user=user, challenge=challenge, spec=spec)
            runs = Run.objects.filter(pk=run.pk)
            _wait(runs.filter(attempt=1, epochs_done__gte=20).exists)
            holder = runs.get().worker_process
            killed_at = time.monotonic()
            if kind == "child":
                os.kill(int(holder.rpartition(":")[2]), signal.SIGKILL)
            else:
                os.killpg(worker.pgid, signal.SIGKILL)
                supervisor.children.remove(worker)
                worker = start_worker()
            _wait(runs.filter(attempt=2, epochs_done__gte=1).exists)
            again.append(time.monotonic() - killed_at)
            _wait(runs.exclude(status__in=("queued", "running")).exists)
            final.append(time.monotonic() - killed_at)
            run.refresh_from_db()
            if run.status != "succeeded" or run.attempt != 2:
                print(f"run {run.pk} ended {run.status} on attempt {run.attempt}",
                      file=sys.stderr)
                return 1
        figures[kind] = {"again": again, "final": final}
    print(f"blobs n=3000, 2-8-3, {args.epochs} epochs: {train_seconds:.2f} s of training; "
          f"{args.kills} kills each, {os.environ['DATABASE_URL'].split(':')[0]}")
    for kind, label in (("child", "pool child SIGKILL"), ("worker", "whole worker SIGKILL")):
        if kind not in figures:
            continue
        print(_summary(f"{label}: kill -> training again", figures[kind]["again"]))
        print(_summary(f"{label}: kill -> final", figures[kind]["final"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
