"""Re-train a run locally and report how its history compares (`descent reproduce`).

The comparison itself — `compare_histories`, `Comparison`, the default tolerance — lives in
the engine (`descent.engine.reproduce`), so the server's verification worker judges a run
with the same code as a builder's terminal.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
from typing import Any

from descent.engine.reproduce import (
    DEFAULT_ATOL,
    DEFAULT_RTOL,
    Comparison,
    Difference,
    compare_histories,
    local_json_history,
    numeric_environment,
)

__all__ = ["DEFAULT_ATOL", "DEFAULT_RTOL", "Comparison", "Difference", "compare_histories",
           "local_json_history", "machine_description", "replay"]


def machine_description() -> dict[str, str]:
    """Describe what decides floating-point results here: numpy, its BLAS, the CPU."""
    import numpy as np

    numeric = numeric_environment()
    info = {"numpy": numeric["numpy"], "python": platform.python_version(),
            "cpu": _cpu_model(), "machine": platform.machine(),
            "cores": str(os.cpu_count() or "?"), "blas": numeric["blas"]}
    if info["blas"] == "unknown":
        info["blas"] = "unknown (numpy does not report it)"
    # numpy < 1.25 or a build without the section: never fail.
    with contextlib.suppress(Exception):
        configuration = np.show_config(mode="dicts")["Build Dependencies"]["blas"].get(
            "openblas configuration")
        if configuration:
            info["blas build"] = configuration
    threads = [f"{name}={os.environ[name]}" for name in
               ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS") if name in os.environ]
    info["blas threads"] = ", ".join(threads) or "default"
    return info


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


# --- the command's work -------------------------------------------------------------------


def _scientific(value: float) -> str:
    return "∞" if math.isinf(value) else f"{value:.3g}"


def _describe(difference: Difference) -> str:
    return (f"{difference.field} at epoch {difference.epoch}: server "
            f"{_repr(difference.server)}, here {_repr(difference.local)} (absolute "
            f"{_scientific(difference.absolute)}, relative {_scientific(difference.relative)})")


def _repr(value: float | None) -> str:
    return "null" if value is None else repr(value)


def replay(run: dict[str, Any], challenge: dict[str, Any], *, rtol: float = DEFAULT_RTOL,
           atol: float = DEFAULT_ATOL) -> int:
    """Re-train a finished run locally, compare, print the verdict; return the exit status.

    `run` is `GET /api/runs/<id>/` (with its spec and history), `challenge` is
    `GET /api/challenges/<slug>/` (the dataset's name, seed and parameters).
    """
    from descent.cli.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, CliError
    from descent.cli.render import RunProgress, comparison_table, err, out
    from descent.engine import ENGINE_VERSION, SpecError, load_dataset, parse_spec, train
    from descent.engine.metrics import score

    run_id, metric = run["id"], run.get("metric")
    seed, params = challenge.get("dataset_seed"), challenge.get("dataset_params")
    if seed is None or params is None:
        err.print("[yellow]the server does not say the dataset's seed and parameters; "
                  "assuming seed 0 and the defaults[/]")
    try:
        spec = parse_spec(run["spec"])
        data = load_dataset(challenge["dataset"], seed=seed or 0, **(params or {}))
    except SpecError as error:
        raise CliError(f"run #{run_id}'s spec does not parse with engine {ENGINE_VERSION}: "
                       f"{error}", exit_code=EXIT_USAGE) from None
    except ValueError as error:
        raise CliError(f"cannot load challenge {challenge['slug']}'s dataset: {error}",
                       exit_code=EXIT_USAGE) from None
    server_version = run.get("engine_version") or "unknown"
    out.print(f"reproducing run #{run_id} ({run['challenge']}, by {run['user']}, "
              f"{run['status']}): dataset {data.name} (seed {data.seed}, params "
              f"{json.dumps(dict(data.params), sort_keys=True)}), spec seed {spec['seed']}, "
              f"{spec['epochs']} epochs; "
              f"engine {server_version} on the server, {ENGINE_VERSION} here")

    progress = RunProgress("re-training", spec["epochs"])
    with progress:
        result = train(spec, data, on_epoch=lambda record: progress.epoch(
            record["epoch"], record["train_loss"], record["val_loss"]), metric=metric)
    recorded = run.get("history") or []
    local = local_json_history(result.history)
    partial = run["status"] not in ("succeeded", "diverged")
    if partial:
        # A run stopped from outside (time limit, cancel, failure) recorded a prefix only.
        out.print(f"the run ended {run['status']} after {len(recorded)} epochs: comparing "
                  "those epochs only")
        local = local[:len(recorded)]
    comparison = compare_histories(recorded, local)

    local_score = None
    if result.status == "succeeded" and metric:
        local_score = float(score(metric, result.model, data.X_val, data.y_val, data.task))
    server_score = run.get("val_score")
    score_same = (server_score is None and local_score is None) or (
        server_score is not None and local_score is not None
        and float(server_score).hex() == local_score.hex())
    score_close = score_same or (server_score is not None and local_score is not None and abs(
        server_score - local_score) <= atol + rtol * max(abs(server_score), abs(local_score)))
    status_same = partial or run["status"] == result.status

    rows = [
        ("status", run["status"], result.status, "same" if status_same else "DIFFERENT"),
        ("epochs", str(len(recorded)), str(len(local)),
         "same" if comparison.server_epochs == comparison.local_epochs else "DIFFERENT"),
        ("history values", str(comparison.values_compared), str(comparison.values_compared),
         "bit for bit" if comparison.identical else f"{len(comparison.differences)} differ"),
        (f"validation {metric}", _repr(server_score), _repr(local_score),
         "bit for bit" if score_same else "close" if score_close else "DIFFERENT"),
        ("engine version", server_version, ENGINE_VERSION,
         "same" if server_version == ENGINE_VERSION else "DIFFERENT"),
    ]
    out.print(comparison_table(rows))

    if comparison.identical and score_same and status_same:
        out.print(f"[bold green]run #{run_id} reproduces bit for bit[/]: "
                  f"{comparison.values_compared} values over {comparison.server_epochs} "
                  "epochs, every one identical")
        return EXIT_OK
    matches = (comparison.matches(rtol, atol) and score_close and status_same
               and not comparison.edited)
    largest = comparison.largest
    if largest is not None:
        out.print(f"largest difference: {_describe(largest)}", markup=False)
        first = comparison.first
        if first is not None and first is not largest:
            out.print(f"first difference: {_describe(first)}", markup=False)
    if comparison.edited:
        out.print(f"why: {len(comparison.differences)} value(s) differ, yet the last epoch "
                  "matches bit for bit. Training is a chain (a difference at one epoch changes "
                  "every epoch after it), so the recorded history was changed after the run.")
    elif server_version != ENGINE_VERSION:
        out.print(f"why: the server trained with engine {server_version} and this machine "
                  f"has {ENGINE_VERSION}; the code differs. Install the server's version to "
                  "reproduce bit for bit.")
    else:
        out.print("why: same engine version, so the difference is floating-point rounding: "
                  "matrix products sum in another order on another CPU or BLAS (kernels are "
                  "chosen per CPU, threads split the sums), and training compounds it.")
        out.print(f"the server trained it on worker {run.get('worker_host') or 'unknown'}; "
                  "this machine:")
        for key, value in machine_description().items():
            out.print(f"  {key}: {value}", markup=False)
    if matches:
        out.print(f"[bold green]run #{run_id} matches within tolerance[/] (rtol {rtol:g}, "
                  f"atol {atol:g})")
        return EXIT_OK
    out.print(f"[bold red]run #{run_id} does NOT reproduce[/] within rtol {rtol:g}, atol "
              f"{atol:g}")
    return EXIT_FAILED
