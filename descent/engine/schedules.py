"""Learning-rate schedules, set once per epoch, each with an optional linear warmup.

Epoch `e` (1-based) during warmup uses `lr·e/(warmup_epochs + 1)`; after it the schedule
runs on `t = e - warmup_epochs - 1`, so the first epoch after warmup has `t = 0`:
step `lr·gamma^(t // step_size)`, exponential `lr·gamma^t`, cosine
`min + (lr - min)·(1 + cos(π·t/T))/2` with `T = max(1, epochs - warmup_epochs - 1)`.

`SCHEDULES`, at the bottom, is the one table of schedules, keyed by the spec's strings: the
rate function and the hyperparameters it reads (rules and defaults, read by `spec.py`); every
schedule also takes `warmup_epochs` (`WARMUP_EPOCHS`). To add a schedule, write its rate
function here and add its row.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from descent.engine.hyperparameters import MAX_EPOCHS, Real, Rule, Whole

RateFunction = Callable[[float, int, dict[str, Any], int], float]


def constant(learning_rate: float, t: int, settings: dict[str, Any], span: int) -> float:
    """Return the base learning rate."""
    return learning_rate


def step(learning_rate: float, t: int, settings: dict[str, Any], span: int) -> float:
    """Return `lr·gamma^(t // step_size)`."""
    return learning_rate * settings["gamma"] ** (t // settings["step_size"])


def exponential(learning_rate: float, t: int, settings: dict[str, Any], span: int) -> float:
    """Return `lr·gamma^t`."""
    return learning_rate * settings["gamma"] ** t


def cosine(learning_rate: float, t: int, settings: dict[str, Any], span: int) -> float:
    """Return the half-cosine from `lr` at `t = 0` down to `min_learning_rate` at `t = span`."""
    floor = settings["min_learning_rate"]
    return floor + (learning_rate - floor) * (1.0 + math.cos(math.pi * t / span)) / 2.0


# Every schedule takes it; spec.py also checks that it is below the run's epochs.
WARMUP_EPOCHS = Whole(label="warmup epochs", example=5, minimum=0, maximum=MAX_EPOCHS - 1,
                      default=0)
STEP_SIZE = Whole(label="step size", example=10, minimum=1, maximum=MAX_EPOCHS, default=10)
GAMMA = Real(label="gamma", example=0.5, minimum=0.0, maximum=1.0, exclusive_minimum=True,
             note="(it shrinks the learning rate)")
# spec.py also checks that it is at most the optimizer's learning rate.
MIN_LEARNING_RATE = Real(label="minimum learning rate", example=0.0, default=0.0, minimum=0.0)


@dataclass(frozen=True)
class Schedule:
    """One row of `SCHEDULES`: the rate function and the hyperparameters it reads.

    Calling the row returns the rate: `SCHEDULES["step"](learning_rate, t, settings, span)`.
    """

    rate: RateFunction
    hyperparameters: Mapping[str, Rule] = field(default_factory=dict)

    def defaults(self) -> dict[str, float | int]:
        """Return the default of every hyperparameter besides `warmup_epochs`."""
        return {key: rule.default for key, rule in self.hyperparameters.items()}

    def __call__(self, learning_rate: float, t: int, settings: dict[str, Any], span: int) -> float:
        """Return the learning rate `t` epochs after warmup (see the module docstring)."""
        return self.rate(learning_rate, t, settings, span)


SCHEDULES: dict[str, Schedule] = {
    "constant": Schedule(constant),
    "step": Schedule(step, {"step_size": STEP_SIZE, "gamma": GAMMA.with_default(0.5)}),
    "exponential": Schedule(exponential, {"gamma": GAMMA.with_default(0.95)}),
    "cosine": Schedule(cosine, {"min_learning_rate": MIN_LEARNING_RATE}),
}


def learning_rate_at(spec: dict[str, Any], epoch: int) -> float:
    """Return the learning rate for 1-based `epoch` of a normalised spec."""
    learning_rate = float(spec["optimizer"]["learning_rate"])
    settings = spec["schedule"]
    warmup = settings["warmup_epochs"]
    if epoch <= warmup:
        return learning_rate * epoch / (warmup + 1)
    span = max(1, spec["epochs"] - warmup - 1)
    return float(SCHEDULES[settings["name"]](learning_rate, epoch - warmup - 1, settings, span))
