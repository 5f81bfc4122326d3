"""Time the spec validator on adversarial documents and size the error it answers.

    python -m bench spec_validation        (or `.venv/bin/python bench/spec_validation.py`)

Each case is parsed `REPEATS` times with `parse_spec`; the figure is the median time per
parse, what it raised, the number of error paths and messages, and the size of the error
body the API would send (`json.dumps(error.errors)`). The cases are the amplification and
"numbers in a spec" reports of issue 13: thousands of unknown keys at each level, huge
integers, NaN/inf, a deeply nested value, a long string.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from descent.engine.spec import SpecError, parse_spec

REPEATS = 5
UNKNOWN = 20_000


def base() -> dict[str, Any]:
    """Return a small valid regression spec."""
    return {
        "layers": [{"units": 8, "activation": "relu"}, {"units": 1, "activation": "linear"}],
        "loss": "mse",
        "optimizer": {"name": "adam", "learning_rate": 0.01},
        "schedule": {"name": "step"},
    }


def with_unknown_keys(section: str) -> dict[str, Any]:
    """Return the base spec with `UNKNOWN` unknown keys in one section."""
    spec = base()
    junk = {f"junk_key_{i}": i for i in range(UNKNOWN)}
    if section == "top":
        spec.update(junk)
    elif section == "layer":
        spec["layers"][0].update(junk)
    else:
        spec[section].update(junk)
    return spec


def nested(depth: int) -> Any:
    """Return a list nested `depth` deep."""
    value: Any = 0
    for _ in range(depth):
        value = [value]
    return value


def replaced(path: tuple[Any, ...], value: Any) -> Callable[[], dict[str, Any]]:
    """Return a builder of the base spec with the field at `path` set to `value`."""

    def build() -> dict[str, Any]:
        spec = base()
        target: Any = spec
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        return spec

    return build


def worst() -> dict[str, Any]:
    """Return 32 layers with every field wrong and junk at every level (test_spec.py's)."""
    layer = {"units": 10**400, "activation": "x" * 10_000, "dropout": float("nan"),
             "init": nested(3000), **{f"junk{i}": i for i in range(1000)}}
    return {
        **{key: nested(3000) for key in ("version", "init", "loss", "epochs", "batch_size",
                                         "l2", "gradient_clip", "seed", "dtype")},
        "layers": [dict(layer) for _ in range(32)],
        "optimizer": {"name": "adam", "learning_rate": 10**400,
                      **{f"o{i}": i for i in range(1000)}},
        "schedule": {"name": "step", "gamma": float("inf"), "step_size": -(10**400)},
        "early_stopping": {"patience": float("nan"), "min_delta": "x" * 10_000},
        **{f"top{i}": i for i in range(1000)},
    }


CASES: dict[str, Callable[[], Any]] = {
    "valid spec": base,
    f"{UNKNOWN:,} unknown keys at top level": lambda: with_unknown_keys("top"),
    f"{UNKNOWN:,} unknown keys in layers[0]": lambda: with_unknown_keys("layer"),
    f"{UNKNOWN:,} unknown keys in optimizer": lambda: with_unknown_keys("optimizer"),
    f"{UNKNOWN:,} unknown keys in schedule": lambda: with_unknown_keys("schedule"),
    "l2 = 10**400": replaced(("l2",), 10**400),
    "learning_rate = 10**400": replaced(("optimizer", "learning_rate"), 10**400),
    "dropout = 10**400": replaced(("layers", 0, "dropout"), 10**400),
    "units = 10**5000 (5,001 digits)": replaced(("layers", 0, "units"), 10**5000),
    "learning_rate = NaN": replaced(("optimizer", "learning_rate"), float("nan")),
    "l2 nested 5,000 deep": replaced(("l2",), nested(5000)),
    "activation = 1 MB string": replaced(("layers", 0, "activation"), "x" * 1_000_000),
    "1 MB unknown key name": lambda: {**base(), "k" * 1_000_000: 1},
    "worst: 32 bad layers, junk everywhere": worst,
}


def measure(build: Callable[[], Any]) -> tuple[float, str, int, int, int]:
    """Return (median seconds, outcome, error paths, messages, error body bytes)."""
    times, outcome, paths, messages, size = [], "", 0, 0, 0
    for _ in range(REPEATS):
        document = build()
        start = time.perf_counter()
        try:
            parse_spec(document)
            outcome = "accepted"
        except SpecError as error:
            times.append(time.perf_counter() - start)
            outcome = "SpecError"
            paths = len(error.errors)
            messages = sum(len(m) for m in error.errors.values())
            size = len(json.dumps(error.errors, ensure_ascii=False).encode())
            continue
        except Exception as error:  # what escapes is the finding: report its type
            outcome = type(error).__name__
        times.append(time.perf_counter() - start)
    return statistics.median(times), outcome, paths, messages, size


def main(argv: list[str]) -> int:
    """Print one row per case."""
    print(f"{'case':42} {'median ms':>10} {'outcome':>15} {'paths':>6} {'msgs':>6} "
          f"{'body bytes':>11}")
    for name, build in CASES.items():
        seconds, outcome, paths, messages, size = measure(build)
        print(f"{name:42} {seconds * 1000:10.2f} {outcome:>15} {paths:6} {messages:6} "
              f"{size:11,}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
