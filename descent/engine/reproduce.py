"""Compare a recorded per-epoch history with a re-training, epoch by epoch, field by field.

The engine promises the same history bit for bit for the same spec, data and seed on the same
machine (CONTRACT §6). Across machines the sums inside matrix products may be taken in another
order (BLAS kernels are chosen per CPU, and threads split the work), so the last bits can
differ; `Comparison.matches(rtol, atol)` judges that against a stated tolerance, and
`Comparison.edited` tells a history changed after training from one that drifted.

Pure numpy and the standard library: `descent reproduce` (on a builder's machine) and the
verification worker (on the server) judge with the same code.
"""

from __future__ import annotations

import contextlib
import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

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

    def describe(self, recorded: str = "recorded", rerun: str = "re-trained") -> str:
        """Say it in one line: field, epoch, both values, absolute and relative size."""
        def value(number: float | None) -> str:
            return "null" if number is None else f"{number:.10g}"

        def size(number: float) -> str:
            return "∞" if math.isinf(number) else f"{number:.3g}"

        return (f"{self.field} at epoch {self.epoch}: {recorded} {value(self.server)}, "
                f"{rerun} {value(self.local)} (absolute {size(self.absolute)}, relative "
                f"{size(self.relative)})")

    def as_dict(self) -> dict[str, Any]:
        """Describe it in JSON terms (infinities, where a value is missing, as None)."""
        return {"epoch": self.epoch, "field": self.field, "recorded": self.server,
                "rerun": self.local, "absolute": _finite_or_none(self.absolute),
                "relative": _finite_or_none(self.relative)}


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


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


@functools.cache
def numeric_environment() -> dict[str, str]:
    """Name what decides floating-point results in this process: numpy and its BLAS.

    Cheap after the first call (cached per process), so a worker records it on every run.
    """
    blas = "unknown"
    # numpy < 1.25 or a build without the section: say so, never fail.
    with contextlib.suppress(Exception):
        info = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        blas = f"{info.get('name', '?')} {info.get('version', '')}".strip()
    return {"numpy": np.__version__, "blas": blas}


@dataclass(frozen=True)
class Verdict:
    """Whether a re-training reproduces a recorded run, and the one sentence that says why."""

    reproduced: bool
    bit_for_bit: bool
    reason: str


def scores_agree(recorded: float | None, rerun: float | None, *, rtol: float = DEFAULT_RTOL,
                 atol: float = DEFAULT_ATOL) -> bool:
    """Tell whether two scores are both missing, or within `atol + rtol·max(|a|, |b|)`."""
    if recorded is None or rerun is None:
        return recorded is None and rerun is None
    return abs(recorded - rerun) <= atol + rtol * max(abs(recorded), abs(rerun))


def judge(comparison: Comparison, *, recorded_status: str, rerun_status: str,
          recorded_score: float | None = None, rerun_score: float | None = None,
          rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL) -> Verdict:
    """Judge a re-training against the record: the history, the status and the score.

    An edited history (`Comparison.edited`) never reproduces, whatever the tolerance.
    """
    score_same = (recorded_score is None and rerun_score is None) or (
        recorded_score is not None and rerun_score is not None
        and float(recorded_score).hex() == float(rerun_score).hex())
    if recorded_status != rerun_status:
        return Verdict(False, False, f"the run ended {recorded_status}; the re-training "
                                     f"ended {rerun_status}")
    if comparison.identical and score_same:
        return Verdict(True, True, f"{comparison.values_compared} values over "
                                   f"{comparison.server_epochs} epochs, every one identical")
    if comparison.server_epochs != comparison.local_epochs:
        return Verdict(False, False, f"the record has {comparison.server_epochs} epochs; the "
                                     f"re-training {comparison.local_epochs}")
    if comparison.edited:
        return Verdict(False, False, f"{len(comparison.differences)} value(s) differ, yet the "
                       "last epoch matches bit for bit: training is a chain, so the recorded "
                       "history was changed after the run")
    if not comparison.matches(rtol, atol):
        return Verdict(False, False, f"{len(comparison.differences)} value(s) differ beyond "
                       f"rtol {rtol:g}, atol {atol:g}")
    if not scores_agree(recorded_score, rerun_score, rtol=rtol, atol=atol):
        return Verdict(False, False, f"the score was {recorded_score!r}; the re-training "
                                     f"scores {rerun_score!r}")
    return Verdict(True, False, f"{len(comparison.differences)} value(s) differ by "
                   f"round-off only, within rtol {rtol:g}, atol {atol:g}")
