"""What the live instruments cost on the real worker path: runs timed with them on and off.

    python -m bench.instrumented_runs [--runs 6] [--rounds 2] [--epochs 200]   (make bench)

Starts an embedded Redis (unless REDIS_URL), a fresh SQLite database under var/bench/ (unless
DATABASE_URL), then, in alternating rounds (off, on, off, on, ...: a busy machine's drift
hits both sides alike), one real Celery worker with `DESCENT_RUN_INSTRUMENTS=0` or `1` and N
runs submitted one after another through the submission service. A run's time is its
worker's own, `finished_at − started_at`: claim, training, every history flush (with the
frames and layer statistics stored in the same transactions, and published), the trajectory
stored, scores and the final status. Share = t(on) / t(off) − 1, printed for the fastest
run of each side (the machine's noise only ever adds, so the minimum is the steadiest
estimate of the work itself, as in bench/instruments.py) and for the medians.

Wall time on a busy shared machine moves by more than the share it measures, so the bench
also runs the same worker function (`workers.training.train_run`: claim, train, store,
publish, finish) in this process, runs on and off alternating one by one, and compares the
process's CPU time (`time.process_time`, every thread: the publisher's too), which a
neighbour's load disturbs far less than wall time.

Workload: spirals (600 samples, 360 train), 2-32-32-3 ReLU, Adam 0.01, batch 32 — the
engine bench's S. After the runs it prints what the terrain task took for them (the
background task's own time, never the run's), what storing the trajectory costs, and what
re-training the run to recover it would cost instead (the engine is deterministic: same spec,
data and seed give the same weights).
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
# One BLAS thread here too (before numpy loads), as in the workers this bench starts: a
# thread pool woken by a frame's 2 304-row product would bill its spinning to the CPU time.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

from bench.environment import bench_environment  # noqa: E402
from descent.stack.supervisor import Supervisor  # noqa: E402

SPEC = {
    "layers": [{"units": 32, "activation": "relu"}, {"units": 32, "activation": "relu"},
               {"units": 3, "activation": "softmax"}],
    "loss": "cross_entropy",
    "optimizer": {"name": "adam", "learning_rate": 0.01},
    "batch_size": 32,
    "seed": 1,
}
GOAL = 0.10


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=8, help="runs per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each mode")
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--in-process", type=int, default=30,
                        help="runs each way of the in-process CPU-time measurement")
    args = parser.parse_args(argv)
    redis = bench_environment("instrumented_runs")
    try:
        return _measure(args)
    finally:
        if redis is not None:
            redis.stop()


def _worker(mode: str) -> Supervisor:
    from descent.celery import app

    env = dict(os.environ, DESCENT_RUN_INSTRUMENTS=mode, OMP_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    supervisor = Supervisor(env)
    supervisor.start("worker", [str(Path(sys.executable).parent / "celery"), "-A",
                                "descent.celery", "worker", "--concurrency", "1",
                                "--loglevel", os.environ.get("BENCH_WORKER_LOGLEVEL", "WARNING"),
                                "--hostname", f"bench-{mode}@%h", "--without-mingle"])
    deadline = time.monotonic() + 60
    while not app.control.ping(timeout=0.5):
        if time.monotonic() > deadline:
            supervisor.stop()
            raise TimeoutError("the worker did not start")
    return supervisor


def _measure(args: argparse.Namespace) -> int:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    import numpy as np

    from challenges.models import Challenge, Run, RunBoundaryFrame, RunTerrain, RunTrajectory
    from challenges.selectors.datasets import challenge_dataset
    from challenges.services.challenges import challenge_save
    from challenges.services.instruments import TRAJECTORY_SNAPSHOTS, trajectory_save
    from challenges.services.submissions import run_submit
    from community.models import User
    from descent.celery import app
    from descent.engine import Instruments, parse_spec, train

    challenge = Challenge.objects.filter(slug="bench-spirals").first() or challenge_save(
        Challenge(slug="bench-spirals", title="Bench", dataset="spirals", metric="accuracy",
                  status=Challenge.Status.PUBLISHED, daily_quota=10_000,
                  time_limit_seconds=300, max_epochs=100_000, max_parameters=100_000,
                  max_work=10**12))
    user, _ = User.objects.get_or_create(username="bench")
    spec = dict(SPEC, epochs=args.epochs)
    seconds: dict[str, list[float]] = {"0": [], "1": []}
    on_runs: list[int] = []
    for _round in range(args.rounds):
        for mode in ("0", "1"):
            app.control.purge()
            supervisor = _worker(mode)
            try:
                for index in range(args.runs + 1):
                    run = run_submit(user=user, challenge=challenge, spec=spec)
                    while Run.objects.filter(pk=run.pk, status__in=("queued", "running")).exists():
                        time.sleep(0.01)
                    run.refresh_from_db()
                    if run.status != "succeeded":
                        print(f"run {run.pk} ended {run.status}: {run.error}", file=sys.stderr)
                        return 1
                    if index == 0:
                        continue  # the first run warms the worker's imports and caches
                    seconds[mode].append((run.finished_at - run.started_at).total_seconds())
                    if mode == "1":
                        on_runs.append(run.pk)
                if mode == "1":  # let the terrain tasks of this round finish
                    deadline = time.monotonic() + 120
                    while RunTerrain.objects.filter(status="pending").exists() \
                            and time.monotonic() < deadline:
                        time.sleep(0.1)
            finally:
                supervisor.stop()
    on = None
    if args.rounds:
        off, on = statistics.median(seconds["0"]), statistics.median(seconds["1"])
        if os.environ.get("BENCH_VERBOSE"):
            print({mode: [round(s * 1000) for s in values] for mode, values in seconds.items()})
        share = on / off - 1
        fastest = min(seconds["1"]) / min(seconds["0"]) - 1
        frames = [RunBoundaryFrame.objects.filter(run_id=pk).count() for pk in on_runs]
        terrains = list(RunTerrain.objects.filter(run_id__in=on_runs, status="ready")
                        .values_list("seconds", flat=True))
        print(f"spirals 2-32-32-3, {args.epochs} epochs, batch 32; {args.rounds} × {args.runs} "
              f"runs each way, one worker, one BLAS thread, "
              f"{os.environ['DATABASE_URL'].split(':')[0]}")
        print(f"worker time per run, instruments off  median {off * 1000:7.1f} ms  "
              f"(min {min(seconds['0']) * 1000:.1f})")
        print(f"worker time per run, instruments on   median {on * 1000:7.1f} ms  "
              f"(min {min(seconds['1']) * 1000:.1f})")
        print(f"live instruments' share (store + publish included): fastest {fastest * 100:+.1f} %"
              f", medians {share * 100:+.1f} %  (goal ≤ {GOAL * 100:.0f} %)  "
              f"{'ok' if fastest <= GOAL else 'OVER'}")
        print(f"frames stored per run: median {statistics.median(frames):.0f}")
        if terrains:
            terrain = statistics.median(terrains)
            print(f"terrain task (25×25, background): median {terrain * 1000:.0f} ms"
                  f" = {terrain / on:.2f}× the run's worker time")
    cpu = _in_process(challenge, user, spec, args.in_process)
    cpu_share = min(cpu["1"]) / min(cpu["0"]) - 1
    cpu_median = statistics.median(cpu["1"]) / statistics.median(cpu["0"]) - 1
    print(f"{args.epochs} epochs in process, CPU time per run (train_run: claim, train, "
          "store, publish, finish), "
          f"{args.in_process} runs each way, alternating: off min "
          f"{min(cpu['0']) * 1000:.1f} ms, on min {min(cpu['1']) * 1000:.1f} ms: "
          f"fastest {cpu_share * 100:+.1f} %, medians {cpu_median * 100:+.1f} %  "
          f"(goal ≤ {GOAL * 100:.0f} %)  {'ok' if cpu_share <= GOAL else 'OVER'}")
    # The trajectory: store it, or re-train to get it back?
    data = challenge_dataset(challenge)
    normalised = parse_spec(spec)
    started = time.perf_counter()
    result = train(normalised, data, metric="accuracy",
                   instruments=Instruments(trajectory_snapshots=TRAJECTORY_SNAPSHOTS))
    retrain = time.perf_counter() - started
    probe = Run.objects.filter(challenge=challenge).order_by("-pk").first()
    started = time.perf_counter()
    stored = trajectory_save(run_id=probe.pk, attempt=probe.attempt,
                             epochs=result.trajectory.epochs, params=result.trajectory.params)
    store_seconds = time.perf_counter() - started
    started = time.perf_counter()
    back = RunTrajectory.objects.get(pk=stored.pk)
    np.frombuffer(bytes(back.params), dtype=back.dtype)
    load_seconds = time.perf_counter() - started
    size = len(bytes(stored.params)) / 1024
    print(f"trajectory: {len(stored.epochs)} snapshots × {stored.n_parameters} parameters, "
          f"{size:.0f} KiB {stored.dtype}; store {store_seconds * 1000:.1f} ms + load "
          f"{load_seconds * 1000:.1f} ms, against re-training {retrain * 1000:.0f} ms")
    return 0


def _in_process(challenge, user, spec, count: int) -> dict[str, list[float]]:
    """Return the CPU seconds of `count` runs each way through `train_run`, in this process."""
    from django.conf import settings

    from challenges.models import RunTerrain
    from challenges.services.runs import run_create
    from descent.engine import parse_spec
    from workers.training import train_run

    normalised = parse_spec(spec)
    cpu: dict[str, list[float]] = {"0": [], "1": []}
    saved = settings.RUN_INSTRUMENTS
    try:
        for index in range(2 * count + 2):
            mode = "01"[index % 2]
            settings.RUN_INSTRUMENTS = mode == "1"
            run = run_create(owner=user, challenge=challenge, spec=normalised,
                             parameter_count=1251, enqueue=False)
            started = time.process_time()
            train_run(run.pk)
            if index >= 2:  # the first two warm imports, caches and the publisher up
                cpu[mode].append(time.process_time() - started)
            # No worker listens here: the terrains it asked for are not the bench's business.
            RunTerrain.objects.filter(run=run).delete()
    finally:
        settings.RUN_INSTRUMENTS = saved
    return cpu


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
