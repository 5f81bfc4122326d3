"""Learning-rate schedules, set once per epoch, each with an optional linear warmup.

Epoch `e` (1-based) during warmup uses `lr·e/(warmup_epochs + 1)`; after it the schedule
runs on `t = e - warmup_epochs - 1`, so the first epoch after warmup has `t = 0`:
step `lr·gamma^(t // step_size)`, exponential `lr·gamma^t`, cosine
`min + (lr - min)·(1 + cos(π·t/T))/2` with `T = max(1, epochs - warmup_epochs - 1)`.
"""

import math
from collections.abc import Callable
from typing import Any

Schedule = Callable[[float, int, dict[str, Any], int], float]


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


SCHEDULES: dict[str, Schedule] = {
    "constant": constant,
    "step": step,
    "exponential": exponential,
    "cosine": cosine,
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
