"""Compare a run's recorded history with a local re-training, epoch by epoch, field by field.

The engine promises the same history bit for bit for the same spec, data and seed on the same
machine (CONTRACT §6). Across machines the sums inside matrix products may be taken in another
order (BLAS kernels are chosen per CPU, and threads split the work), so the last bits can
differ; `Comparison.matches(rtol, atol)` judges that against a stated tolerance.
"""

from __future__ import annotations

import json
import math
import os
import platform
from dataclasses import dataclass
from typing import Any

# The default tolerance: float64 round-off after a few thousand operations is ~1e-13; a
# float32 run's is ~1e-6 per step and can grow, but one machine's rerun is exact.
DEFAULT_RTOL = 1e-9
DEFAULT_ATOL = 1e-12


@dataclass(frozen=True)
class Difference:
    """One field of one epoch that is not bit for bit the same."""

    epoch: int
    field: str
    server: float | None
    local: float | None

    @property
    def absolute(self) -> float:
        if self.server is None or self.local is None:
            return math.inf
        return abs(self.server - self.local)

    @property
    def relative(self) -> float:
        if self.server is None or self.local is None:
            return math.inf
        scale = max(abs(self.server), abs(self.local))
        return self.absolute / scale if scale else 0.0


@dataclass(frozen=True)
class Comparison:
    """How a local history compares with the recorded one."""

    server_epochs: int
    local_epochs: int
    values_compared: int
    differences: list[Difference]

    @property
    def identical(self) -> bool:
        return self.server_epochs == self.local_epochs and not self.differences

    @property
    def largest(self) -> Difference | None:
        """The difference with the largest relative size (absolute, for ties at zero)."""
        if not self.differences:
            return None
        return max(self.differences, key=lambda d: (d.relative, d.absolute))

    @property
    def first(self) -> Difference | None:
        return self.differences[0] if self.differences else None

    @property
    def edited(self) -> bool:
        """Tell whether only some middle epochs differ while the last one is identical.

        Training is a chain: a rounding difference at epoch k changes every epoch after it.
        Earlier epochs that differ under an identical last epoch were changed after training.
        """
        if not self.differences or self.server_epochs != self.local_epochs:
            return False
        last = self.server_epochs
        return all(d.epoch != last for d in self.differences)

    def matches(self, rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL) -> bool:
        """Tell whether every value agrees within `atol + rtol·max(|server|, |local|)`."""
        if self.server_epochs != self.local_epochs:
            return False
        return all(d.absolute <= atol + rtol * max(abs(d.server or 0.0), abs(d.local or 0.0))
                   for d in self.differences)


def _bits(value: Any) -> Any:
    # float.hex is exact: it tells -0.0 from 0.0 and never rounds.
    return float(value).hex() if isinstance(value, int | float) and not isinstance(
        value, bool) else value


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None  # null (a NaN in JSON) or not a number


def compare_histories(server: list[dict[str, Any]],
                      local: list[dict[str, Any]]) -> Comparison:
    """Compare every epoch's fields (train_loss, val_loss, the metric, ...) as floats."""
    differences: list[Difference] = []
    compared = 0
    for recorded, rerun in zip(server, local, strict=False):
        epoch = recorded.get("epoch", rerun.get("epoch", 0))
        fields = list(recorded) + [key for key in rerun if key not in recorded]
        for name in fields:
            a, b = recorded.get(name), rerun.get(name)
            compared += 1
            if _bits(a) != _bits(b):
                differences.append(Difference(epoch=epoch, field=name, server=_number(a),
                                              local=_number(b)))
    return Comparison(server_epochs=len(server), local_epochs=len(local),
                      values_compared=compared, differences=differences)


def local_json_history(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Store a local history as the server does: NaN and ±inf become None (JSON has neither)."""
    return [{key: (None if isinstance(value, float) and not math.isfinite(value) else value)
             for key, value in record.items()} for record in history]


def machine_description() -> dict[str, str]:
    """Describe what decides floating-point results here: numpy, its BLAS, the CPU."""
    import numpy as np

    info = {"numpy": np.__version__, "python": platform.python_version(),
            "cpu": _cpu_model(), "machine": platform.machine(),
            "cores": str(os.cpu_count() or "?")}
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        info["blas"] = f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
        configuration = blas.get("openblas configuration")
        if configuration:
            info["blas build"] = configuration
    except Exception:  # numpy < 1.25 or a build without the section: say so, never fail
        info["blas"] = "unknown (numpy does not report it)"
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
