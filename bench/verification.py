"""What verified entries cost: the dataset hash, the numeric environment, the comparison.

    python -m bench verification        (or `.venv/bin/python bench/verification.py`)

- `dataset_hash` of every bundled and synthetic dataset (default parameters): the median of
  `REPEATS` calls, and the bytes hashed. The worker computes it once per process and dataset
  (`challenge_dataset_hash`), so this is a cost per worker child, not per run.
- `numeric_environment()`'s first call (numpy's build configuration; cached after it).
- `compare_histories` + `judge` of a 10,000-epoch history (5 values an epoch) against
  itself (the usual, identical case) and against a copy with one edited epoch: the
  verification's own overhead beside the re-training.
"""

from __future__ import annotations

import statistics
import sys
import time

from descent.engine import DATASETS, dataset_hash, load_dataset
from descent.engine.reproduce import compare_histories, judge, numeric_environment

REPEATS = 20
EPOCHS = 10_000


def median_seconds(work, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv: list[str]) -> int:
    print(f"{'dataset':<14} {'bytes':>9} {'dataset_hash':>13}")
    for name in DATASETS:
        data = load_dataset(name)
        size = sum(getattr(data, split).nbytes for split in
                   ("X_train", "y_train", "X_val", "y_val", "X_test", "y_test"))
        seconds = median_seconds(lambda data=data: dataset_hash(data))
        print(f"{name:<14} {size:>9,} {seconds * 1e3:>10.3f} ms")
    numeric_environment.cache_clear()
    started = time.perf_counter()
    environment = numeric_environment()
    print(f"numeric_environment() first call: {(time.perf_counter() - started) * 1e3:.1f} ms "
          f"({environment['numpy']}, {environment['blas']}); later calls are cached")
    record = [{"epoch": e, "train_loss": 1.0 / e, "val_loss": 1.5 / e, "accuracy": 0.5,
               "learning_rate": 0.01} for e in range(1, EPOCHS + 1)]
    same = [dict(r) for r in record]
    edited = [dict(r) for r in record]
    edited[EPOCHS // 2]["val_loss"] *= 1 + 1e-7
    for label, rerun in (("identical", same), ("one edited epoch", edited)):
        def work(rerun=rerun):
            comparison = compare_histories(record, rerun)
            return judge(comparison, recorded_status="succeeded", rerun_status="succeeded")
        seconds = median_seconds(work, repeats=5)
        print(f"compare + judge, {EPOCHS:,} epochs × 5 values, {label}: {seconds * 1e3:.1f} ms "
              f"({work().reason})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
