"""Pages as data grows: the leaderboard API, the challenge page and a profile at 100 to 100k runs.

Seeds one challenge per size — 100 runs by 10 builders, 10,000 by 100, 100,000 by 1,000 —
then times each page in-process (Django's test client, median of `--repeat` requests after
a warm-up), and serves the largest from a real Uvicorn to compare the leaderboard API's and
the challenge page's requests per second with a trivial JSON view (`/api/version/`) on the
same server in the same run. The seed writes runs in bulk (not through the services, which
would take an hour at 100k) and then builds the kept board with `best_entries_rebuild`;
`leaderboard_check` proves it equal to a recompute, and its time is printed too: what each
page paid before the board was kept.

    python -m bench.pages [--sizes 100:10,10000:100,100000:1000] [--repeat 20] [--seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.asgi_servers import http_rps  # noqa: E402
from bench.environment import bench_environment  # noqa: E402
from descent.stack.redis_server import free_port  # noqa: E402
from descent.stack.servers import asgi_server_command, wait_for_port  # noqa: E402
from descent.stack.supervisor import Supervisor  # noqa: E402

DEFAULT_SIZES = "100:10,10000:100,100000:1000"
SPEC = {"layers": [{"units": 8, "activation": "relu"}, {"units": 3, "activation": "softmax"}],
        "loss": "cross_entropy", "optimizer": {"name": "adam", "learning_rate": 0.05},
        "epochs": 20, "batch_size": 32, "seed": 1}


def parse_sizes(text: str) -> list[tuple[int, int]]:
    """Read `RUNS:BUILDERS,...` into pairs."""
    pairs = []
    for item in text.split(","):
        runs, builders = item.split(":")
        pairs.append((int(runs), int(builders)))
    return pairs


def seed(runs: int, builders: int) -> Any:
    """Write one challenge with `runs` runs by `builders` builders; return the challenge."""
    from django.utils import timezone

    from challenges.models import Challenge, Run, RunStatus
    from challenges.services.best_entries import best_entries_rebuild
    from challenges.services.challenges import challenge_save
    from community.models import User
    from descent.engine.spec import parse_spec, spec_hash

    rng = random.Random(runs)  # noqa: S311 (seeded data, not secrets)
    challenge = challenge_save(Challenge(
        slug=f"pages-{runs}", title=f"Pages {runs}", dataset="blobs", metric="accuracy",
        status=Challenge.Status.PUBLISHED, daily_quota=100_000))
    users = User.objects.bulk_create(
        [User(username=f"p{runs}-{index:04d}", password="!")  # noqa: S106 (unusable)
         for index in range(builders)])
    spec = parse_spec(SPEC)
    digest = spec_hash(spec, parsed=True)
    now = timezone.now()
    statuses = [RunStatus.SUCCEEDED] * 8 + [RunStatus.DIVERGED, RunStatus.FAILED]
    batch: list[Run] = []
    for index in range(runs):
        status = rng.choice(statuses)
        scored = status == RunStatus.SUCCEEDED
        batch.append(Run(
            owner=users[index % builders], challenge=challenge, spec=spec, spec_hash=digest,
            status=status, quota_day=now.date(), parameter_count=rng.choice([51, 83, 131]),
            val_score=round(rng.uniform(0.5, 1.0), 3) if scored else None,
            test_score=round(rng.uniform(0.5, 1.0), 3) if scored else None,
            epochs_done=20, finished_at=now, estimated_work=1000))
        if len(batch) == 5000:
            Run.objects.bulk_create(batch)
            batch = []
    Run.objects.bulk_create(batch)
    # Spread the submissions over a month, as a real board's would be.
    for run_id in Run.objects.filter(challenge=challenge).values_list("pk", flat=True)[::97]:
        Run.objects.filter(pk=run_id).update(
            created_at=now - dt.timedelta(minutes=rng.randrange(60 * 24 * 30)))
    best_entries_rebuild(challenge=challenge)
    return challenge


def median_ms(call: Any, repeat: int) -> tuple[float, int]:
    """Call once to warm up, then `repeat` times; return the median in ms and the body size."""
    response = call()
    assert response.status_code == 200, response.status_code
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), len(response.content)


def in_process(challenge: Any, repeat: int) -> dict[str, tuple[float, int]]:
    """Time the three pages with Django's test client (no server, no network)."""
    from django.test import Client

    from challenges.models import BestEntry
    from challenges.services.best_entries import best_entries_check

    viewer = BestEntry.objects.filter(challenge=challenge).order_by("-sort_key").first().owner
    anonymous, signed_in = Client(HTTP_HOST="127.0.0.1"), Client(HTTP_HOST="127.0.0.1")
    signed_in.force_login(viewer)
    slug = challenge.slug
    figures = {
        "leaderboard API": median_ms(
            lambda: anonymous.get(f"/api/challenges/{slug}/leaderboard/"), repeat),
        "challenge page": median_ms(lambda: signed_in.get(f"/challenges/{slug}/"), repeat),
        "profile": median_ms(lambda: anonymous.get(f"/u/{viewer.username}/"), repeat),
    }
    started = time.perf_counter()
    difference = best_entries_check(challenge=challenge)
    figures["recompute (check)"] = ((time.perf_counter() - started) * 1000, 0)
    if difference:
        raise SystemExit(f"{slug}: the kept board differs from the recompute: {difference}")
    return figures


def throughput(slug: str, seconds: float, connections: int) -> dict[str, float]:
    """Requests per second on one Uvicorn: the trivial view, the leaderboard, the page."""
    port = free_port()
    supervisor = Supervisor(dict(os.environ))
    supervisor.start("uvicorn", asgi_server_command("uvicorn", host="127.0.0.1", port=port,
                                                    quiet=True))
    paths = {"trivial JSON view": "/api/version/",
             "leaderboard API": f"/api/challenges/{slug}/leaderboard/",
             "challenge page": f"/challenges/{slug}/"}
    try:
        wait_for_port(port, timeout=30, alive=lambda: supervisor.dead_child() is None)
        figures = {}
        for name, path in paths.items():
            asyncio.run(http_rps(port, 1.0, connections, path))  # warm up
            figures[name] = asyncio.run(http_rps(port, seconds, connections, path))
        return figures
    finally:
        supervisor.stop()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="RUNS:BUILDERS,...")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args(argv)
    redis = bench_environment("pages")
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        rows = []
        for runs, builders in parse_sizes(args.sizes):
            started = time.perf_counter()
            challenge = seed(runs, builders)
            print(f"seeded {runs:,} runs by {builders:,} builders in "
                  f"{time.perf_counter() - started:.1f} s", flush=True)
            rows.append((runs, builders, in_process(challenge, args.repeat)))
        print()
        names = ["leaderboard API", "challenge page", "profile", "recompute (check)"]
        print(f"{'runs':>8} {'builders':>8} " + " ".join(f"{name + ' ms':>22}" for name in names))
        for runs, builders, figures in rows:
            print(f"{runs:>8,} {builders:>8,} " + " ".join(
                f"{figures[name][0]:>22.1f}" for name in names))
        first, last = rows[0][2], rows[-1][2]
        for name in names[:3]:
            print(f"{name}: {last[name][0] / first[name][0]:.2f}x its time at "
                  f"{rows[0][0]:,} runs ({last[name][1] / 1024:.1f} KiB at {rows[-1][0]:,})")
        served = throughput(f"pages-{rows[-1][0]}", args.seconds, args.connections)
        print()
        print(f"one Uvicorn, {rows[-1][0]:,} runs, {args.connections} keep-alive connections:")
        trivial = served["trivial JSON view"]
        for name, per_second in served.items():
            print(f"  {name:<18} {per_second:>8.0f} req/s  {per_second / trivial:.2f}x trivial")
    finally:
        if redis is not None:
            redis.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
