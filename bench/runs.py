"""Time a tiny run from submit to `succeeded`, and the per-run overhead beyond training.

Starts an embedded Redis (unless REDIS_URL), a fresh SQLite database under var/bench/ (unless
DATABASE_URL) and one real Celery worker, then submits N runs of a tiny spec through the
submission service, one after another, and polls the database until each is final.
Overhead = (submit → succeeded) − the engine's own training time for the same spec, measured
in this process: queueing, the worker's claim, history flushes, scoring and bookkeeping.

    python -m bench.runs [--runs 20] [--epochs 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.environment import TINY_SPEC, bench_environment  # noqa: E402
from descent.stack.servers import celery_worker_command  # noqa: E402
from descent.stack.supervisor import Supervisor  # noqa: E402


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=20)
    args = parser.parse_args(argv)

    redis = bench_environment("runs")
    supervisor = Supervisor(dict(os.environ))
    try:
        return _measure(args, supervisor)
    finally:
        supervisor.stop()
        if redis is not None:
            redis.stop()


def _measure(args: argparse.Namespace, supervisor: Supervisor) -> int:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from challenges.models import Challenge, Run
    from challenges.selectors.datasets import challenge_dataset
    from challenges.services.challenges import challenge_save
    from challenges.services.submissions import run_submit
    from community.models import User
    from descent.celery import app
    from descent.engine import parse_spec, train

    challenge = Challenge.objects.filter(slug="bench-blobs").first() or challenge_save(
        Challenge(slug="bench-blobs", title="Bench", dataset="blobs", metric="accuracy",
                  status=Challenge.Status.PUBLISHED, daily_quota=10_000)
    )
    user, _ = User.objects.get_or_create(username="bench")
    spec = dict(TINY_SPEC, epochs=args.epochs)

    app.control.purge()
    loglevel = os.environ.get("BENCH_WORKER_LOGLEVEL", "WARNING")
    supervisor.start("worker", celery_worker_command(hostname="bench@%h", loglevel=loglevel,
                                                     extra=["--without-mingle"]))
    deadline = time.monotonic() + 60
    while not app.control.ping(timeout=0.5):
        if time.monotonic() > deadline:
            raise TimeoutError("the worker did not start")

    data = challenge_dataset(challenge)
    normalised = parse_spec(spec)
    training = []
    for _ in range(max(5, args.runs // 2)):
        started = time.perf_counter()
        train(normalised, data, metric="accuracy")
        training.append(time.perf_counter() - started)

    totals = []
    for _ in range(args.runs + 2):
        started = time.perf_counter()
        run = run_submit(user=user, challenge=challenge, spec=spec)
        while True:
            status = Run.objects.filter(pk=run.pk).values_list("status", flat=True).get()
            if status not in ("queued", "running"):
                break
            time.sleep(0.002)
        totals.append(time.perf_counter() - started)
        if status != "succeeded":
            print(f"run {run.pk} ended {status}", file=sys.stderr)
            return 1
    totals = totals[2:]  # the first runs warm the worker's imports and dataset cache
    train_ms = statistics.median(training) * 1000
    p50, p95 = _percentile(totals, 0.5) * 1000, _percentile(totals, 0.95) * 1000
    print(f"tiny spec: blobs, 2-8-3, {args.epochs} epochs, batch 32; {args.runs} runs, "
          f"one worker, {os.environ['DATABASE_URL'].split(':')[0]}")
    print(f"submit -> succeeded   p50 {p50:7.1f} ms   p95 {p95:7.1f} ms")
    print(f"engine training alone  median {train_ms:7.1f} ms")
    print(f"per-run overhead       p50 {p50 - train_ms:7.1f} ms"
          "   (queue + database + bookkeeping)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
