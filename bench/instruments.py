"""What each engine instrument costs, as a share of training time and in absolute terms.

    python -m bench.instruments [--runs 7] [--quick]     (part of `make bench`)

The measurements run in a fresh subprocess with one BLAS thread (OMP/OPENBLAS/MKL_NUM_THREADS
=1, as `bench/engine.py`): with several, a small product that wakes a sleeping BLAS thread pool
on a busy machine can take tens of milliseconds instead of one (measured), and the figures
would say more about the neighbours than about the instruments.

Workloads (2-input, so every instrument applies):
    S  spirals, 600 samples (360 train), 2-32-32-3 ReLU, Adam 0.01, batch 32, 200 epochs
    W  spirals, 6000 samples (3600 train), 2-128-128-128-3 ReLU, Adam 0.003, batch 64, 20 epochs

Per workload, the median over `--runs` runs of:
- the live instruments, each self-timed inside `train` (`TrainResult.instrument_seconds`) as a
  share of that run's training time: boundary frames (48×48, interval chosen by cost, within
  what the others leave of the 7 % budget; epoch 0's frame included), layer statistics every
  epoch, a 128-snapshot trajectory;
- end to end: a run with all three over a run without, (t_on − t_off)/t_off, with t the
  fastest CPU time (`time.process_time`) of the runs: the machine's noise only ever adds, so
  the minimum is the steadiest estimate of what the work itself costs (still noisy on a
  shared machine: the goal column reads the self-timed total);
- after the run: the terrain, `shared_surface` 25×25 on the training split around the final
  weights along the trajectory's PCA directions, in seconds, forward-pass rows and as a
  multiple of the run's own time, then again within a budget of 225 000 forward-pass rows
  (`max_forward_passes`: fewer rows per point); and `trace_step` of a 2-3-3 network on 4 rows.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

WORKLOADS: dict[str, dict[str, Any]] = {
    "S": {"n_samples": 600, "hidden": [32, 32], "learning_rate": 0.01, "batch_size": 32,
          "epochs": 200},
    "W": {"n_samples": 6000, "hidden": [128, 128, 128], "learning_rate": 0.003,
          "batch_size": 64, "epochs": 20},
}
QUICK_EPOCHS = {"S": 40, "W": 4}
GOAL = 0.10
# The terrain's forward-pass budget in the second measurement: 25² points × 360 rows.
BUDGET = 225_000


def spec_of(workload: str, epochs: int) -> dict[str, Any]:
    """Return the normalised spec of a workload."""
    from descent.engine import parse_spec

    w = WORKLOADS[workload]
    return parse_spec({
        "layers": [*({"units": units, "activation": "relu"} for units in w["hidden"]),
                   {"units": 3, "activation": "softmax"}],
        "loss": "cross_entropy",
        "init": "he_normal",
        "optimizer": {"name": "adam", "learning_rate": w["learning_rate"]},
        "batch_size": w["batch_size"],
        "epochs": epochs,
        "seed": 0,
    })


def measure(workload: str, epochs: int, runs: int) -> dict[str, Any]:
    """Return the workload's figures (run in the one-BLAS-thread child process)."""
    from descent.engine import (
        Instruments,
        load_dataset,
        parse_spec,
        shared_surface,
        trace_step,
        train,
    )

    data = load_dataset("spirals", seed=0, n_samples=WORKLOADS[workload]["n_samples"])
    spec = spec_of(workload, epochs)
    train(spec_of(workload, 1), data)  # warm numpy and BLAS up
    plain, watched, shares, frames_seen, intervals, frame_bytes = [], [], [], [], [], []
    plain_cpu, watched_cpu = [], []
    result = None
    for _ in range(runs):
        start, cpu = time.perf_counter(), time.process_time()
        train(spec, data)
        plain.append(time.perf_counter() - start)
        plain_cpu.append(time.process_time() - cpu)
        frames: list[dict[str, Any]] = []
        instruments = Instruments(on_boundary=frames.append, on_layers=lambda sample: None,
                                  trajectory_snapshots=128)
        start, cpu = time.perf_counter(), time.process_time()
        result = train(spec, data, instruments=instruments)
        watched.append(time.perf_counter() - start)
        watched_cpu.append(time.process_time() - cpu)
        seconds = result.instrument_seconds
        shares.append({name: seconds[name] / seconds["training"]
                       for name in ("boundary", "layers", "trajectory")})
        frames_seen.append(seconds["boundary_frames"])
        intervals.append(seconds["boundary_interval"])
        frame_bytes.append(len(json.dumps(frames[-1], allow_nan=False)))
    start = time.perf_counter()
    surface = shared_surface(spec, data, [result.trajectory], n=25)
    surface_seconds = time.perf_counter() - start
    start = time.perf_counter()
    shared_surface(spec, data, [result.trajectory], n=25, max_forward_passes=BUDGET)
    budget_seconds = time.perf_counter() - start
    tiny = parse_spec({"layers": [{"units": 3, "activation": "tanh"},
                                  {"units": 3, "activation": "softmax"}],
                       "loss": "cross_entropy", "optimizer": {"name": "sgd", "learning_rate": 0.5}})
    trace_times = []
    for _ in range(20):
        start = time.perf_counter()
        trace = trace_step(tiny, data, batch=4)
        trace_times.append(time.perf_counter() - start)
    median = statistics.median
    return {
        "workload": workload,
        "epochs": epochs,
        "train_rows": len(data.X_train),
        "parameters": int(result.model.n_parameters),
        "plain_seconds": median(plain),
        "watched_seconds": median(watched),
        "shares": {name: median(share[name] for share in shares)
                   for name in ("boundary", "layers", "trajectory")},
        "total_share": median(sum(share.values()) for share in shares),
        "end_to_end": min(watched_cpu) / min(plain_cpu) - 1.0,
        "frames": median(frames_seen),
        "interval": median(intervals),
        "frame_bytes": median(frame_bytes),
        "trajectory_bytes": int(result.trajectory.params.nbytes),
        "surface_seconds": surface_seconds,
        "surface_forward_passes": surface.forward_passes,
        "surface_runs": surface_seconds / median(plain),
        "budget_seconds": budget_seconds,
        "trace_seconds": median(trace_times),
        "trace_bytes": len(json.dumps(trace, allow_nan=False)),
    }


def child(args: argparse.Namespace) -> int:
    """Measure every workload and print the figures as one JSON line."""
    sys.path.insert(0, str(ROOT))
    figures = [measure(name, QUICK_EPOCHS[name] if args.quick else WORKLOADS[name]["epochs"],
                       args.runs)
               for name in WORKLOADS]
    print(json.dumps(figures))
    return 0


def report(figures: list[dict[str, Any]]) -> None:
    """Print the table."""
    print("live instruments, self-timed, as a share of the run's training time (one BLAS "
          "thread; median of runs). End to end: fastest CPU time with all three / without - 1;")
    print("on a shared machine it moves by +-10 points between runs (even an empty Instruments "
          "shows a few %), so the goal is judged on the self-timed total.")
    header = ("workload", "params", "epochs", "train ms", "boundary", "frames (k)",
              "layer stats", "trajectory", "live total", "end to end", "goal <= 10 %")
    rows = []
    for f in figures:
        rows.append((
            f"{f['workload']} ({f['train_rows']} rows)", str(f["parameters"]), str(f["epochs"]),
            f"{1e3 * f['plain_seconds']:.0f}",
            f"{100 * f['shares']['boundary']:.1f} %", f"{f['frames']:.0f} ({f['interval']:.0f})",
            f"{100 * f['shares']['layers']:.1f} %", f"{100 * f['shares']['trajectory']:.2f} %",
            f"{100 * f['total_share']:.1f} %", f"{100 * f['end_to_end']:+.1f} %",
            "met" if f["total_share"] <= GOAL else "MISSED",
        ))
    _table(header, rows)
    print()
    print("after the run (a background task's time, not the run's):")
    header = ("workload", "terrain 25x25", "forward rows", "x the run",
              f"terrain, {BUDGET:,} rows", "trace_step", "trace JSON", "frame JSON",
              "trajectory")
    rows = [(
        f["workload"], f"{1e3 * f['surface_seconds']:.0f} ms",
        f"{f['surface_forward_passes']:,}", f"{f['surface_runs']:.2f}x",
        f"{1e3 * f['budget_seconds']:.0f} ms",
        f"{1e3 * f['trace_seconds']:.2f} ms", f"{f['trace_bytes']:,} B",
        f"{f['frame_bytes']:,} B", f"{f['trajectory_bytes'] / 1024:.0f} KiB",
    ) for f in figures]
    _table(header, rows)


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """Print rows under a header, columns padded to their widest cell."""
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    for row in (header, *rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.instruments", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7, help="runs per workload (median)")
    parser.add_argument("--quick", action="store_true", help="fewer epochs, for a smoke run")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args)
    environment = {**os.environ, **dict.fromkeys(THREAD_VARIABLES, "1")}
    command = [sys.executable, "-m", "bench.instruments", "--child", "--runs", str(args.runs)]
    if args.quick:
        command.append("--quick")
    completed = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True,
                               text=True, check=False)
    if completed.returncode != 0:
        print(completed.stdout + completed.stderr, file=sys.stderr)
        return completed.returncode
    report(json.loads(completed.stdout.strip().splitlines()[-1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
