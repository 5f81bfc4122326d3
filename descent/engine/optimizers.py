"""The eight optimizers, in order of increasing complexity.

Each updates the model's flat parameter buffer in place from the flat gradient buffer, with
PyTorch's formulas (`torch.optim.SGD` with dampening 0, `Adagrad`, `RMSprop`, `Adam`, `AdamW`)
so that a run can be checked against it step for step. State and scratch arrays are made
once; a step is a few whole-buffer numpy calls with `out=`, and every scalar is a Python
float, which numpy applies in the array's own dtype.

`OPTIMIZERS`, at the bottom, is the one table of optimizers: the spec's name → the class, the
hyperparameters it takes (rules and defaults, read by `spec.py`) and whether it is full-batch.
Each class says how many per-parameter arrays it keeps between steps (`state_arrays`, read by
`budget.py`). To add an optimizer, write its class here and add its row.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from descent.engine.hyperparameters import Real


class GD:
    """Plain gradient descent, `p -= lr·g`; `gd` runs it on the full batch, `sgd` on batches."""

    # Per-parameter arrays kept between steps (the scratch buffer is work space, not state).
    state_arrays = 0

    def __init__(self, settings: dict[str, Any], size: int, dtype: np.dtype) -> None:
        self.scratch = np.zeros(size, dtype)

    def step(self, params: np.ndarray, grads: np.ndarray, learning_rate: float) -> None:
        """Apply one update."""
        np.multiply(grads, learning_rate, out=self.scratch)
        params -= self.scratch


class Momentum(GD):
    """Heavy ball: `buf = μ·buf + g`, `p -= lr·buf` (PyTorch SGD, dampening 0)."""

    nesterov = False
    state_arrays = 1  # the velocity

    def __init__(self, settings: dict[str, Any], size: int, dtype: np.dtype) -> None:
        super().__init__(settings, size, dtype)
        self.momentum = float(settings["momentum"])
        # Zeros make the first step `buf = g`, which is what PyTorch's clone does.
        self.velocity = np.zeros(size, dtype)

    def step(self, params: np.ndarray, grads: np.ndarray, learning_rate: float) -> None:
        """Apply one update."""
        self.velocity *= self.momentum
        self.velocity += grads
        if self.nesterov:
            np.multiply(self.velocity, self.momentum, out=self.scratch)
            self.scratch += grads
        else:
            np.copyto(self.scratch, self.velocity)
        self.scratch *= learning_rate
        params -= self.scratch


class Nesterov(Momentum):
    """Nesterov momentum: `buf = μ·buf + g`, `p -= lr·(g + μ·buf)` (PyTorch SGD nesterov)."""

    nesterov = True


class Adagrad(GD):
    """`s += g²`, `p -= lr·g/(√s + eps)` (PyTorch Adagrad, initial accumulator 0)."""

    state_arrays = 1  # the sum of squares

    def __init__(self, settings: dict[str, Any], size: int, dtype: np.dtype) -> None:
        super().__init__(settings, size, dtype)
        self.eps = float(settings["eps"])
        self.sum_of_squares = np.zeros(size, dtype)

    def step(self, params: np.ndarray, grads: np.ndarray, learning_rate: float) -> None:
        """Apply one update."""
        np.multiply(grads, grads, out=self.scratch)
        self.sum_of_squares += self.scratch
        np.sqrt(self.sum_of_squares, out=self.scratch)
        self.scratch += self.eps
        np.divide(grads, self.scratch, out=self.scratch)
        self.scratch *= learning_rate
        params -= self.scratch


class RMSprop(GD):
    """`v = β₂·v + (1 - β₂)·g²`, `p -= lr·g/(√v + eps)` (PyTorch RMSprop, alpha = β₂).

    It keeps `u = v/(1 - β₂)`, so that `u = β₂·u + g²` costs one numpy call fewer; the
    constant goes into the step: `lr·g/(√v + eps) = lr/√(1 - β₂) · g/(√u + eps/√(1 - β₂))`.
    """

    state_arrays = 1  # the squared-gradient average

    def __init__(self, settings: dict[str, Any], size: int, dtype: np.dtype) -> None:
        super().__init__(settings, size, dtype)
        self.decay = float(settings["beta2"])
        self.eps = float(settings["eps"])
        self.scaled_square_average = np.zeros(size, dtype)

    def step(self, params: np.ndarray, grads: np.ndarray, learning_rate: float) -> None:
        """Apply one update."""
        scratch, average = self.scratch, self.scaled_square_average
        root = math.sqrt(1.0 - self.decay)
        np.multiply(grads, grads, out=scratch)
        average *= self.decay
        average += scratch
        np.sqrt(average, out=scratch)
        scratch += self.eps / root
        np.divide(grads, scratch, out=scratch)
        scratch *= learning_rate / root
        params -= scratch


class Adam(GD):
    """Adam with bias correction (PyTorch Adam).

    `m = β₁·m + (1 - β₁)·g`, `v = β₂·v + (1 - β₂)·g²`,
    `p -= lr/(1 - β₁ᵗ) · m / (√v/√(1 - β₂ᵗ) + eps)`.

    It keeps `m/(1 - β₁)` and `v/(1 - β₂)`, whose updates `x = β·x + g` take one numpy call
    fewer each, and folds the constants into the step, which is the same arithmetic up to
    float rounding: ten whole-buffer calls per step instead of thirteen.
    """

    state_arrays = 2  # the two moments

    def __init__(self, settings: dict[str, Any], size: int, dtype: np.dtype) -> None:
        super().__init__(settings, size, dtype)
        self.beta1 = float(settings["beta1"])
        self.beta2 = float(settings["beta2"])
        self.eps = float(settings["eps"])
        self.weight_decay = 0.0
        self.t = 0
        self.scaled_mean = np.zeros(size, dtype)
        self.scaled_square_mean = np.zeros(size, dtype)

    def step(self, params: np.ndarray, grads: np.ndarray, learning_rate: float) -> None:
        """Apply one update."""
        self.t += 1
        if self.weight_decay:
            params *= 1.0 - learning_rate * self.weight_decay
        scratch, mean, square_mean = self.scratch, self.scaled_mean, self.scaled_square_mean
        mean *= self.beta1
        mean += grads
        np.multiply(grads, grads, out=scratch)
        square_mean *= self.beta2
        square_mean += scratch
        # lr/c₁ · m/(√v/√c₂ + eps) with m = (1 - β₁)·mean and v = (1 - β₂)·square_mean
        # = k · mean/(√square_mean + e), with the two constants below.
        root_c2 = math.sqrt(1.0 - self.beta2**self.t)
        root_decay = math.sqrt(1.0 - self.beta2)
        np.sqrt(square_mean, out=scratch)
        scratch += self.eps * root_c2 / root_decay
        np.divide(mean, scratch, out=scratch)
        scratch *= (
            learning_rate * (1.0 - self.beta1) * root_c2 / ((1.0 - self.beta1**self.t) * root_decay)
        )
        params -= scratch


class AdamW(Adam):
    """Adam with decoupled weight decay on every parameter: `p *= 1 - lr·wd` first."""

    def __init__(self, settings: dict[str, Any], size: int, dtype: np.dtype) -> None:
        super().__init__(settings, size, dtype)
        self.weight_decay = float(settings["weight_decay"])


# The learning rate every optimizer takes; it has no default (a spec must choose it).
LEARNING_RATE = Real(label="learning rate", example=0.01, minimum=0.0, exclusive_minimum=True)
MOMENTUM = Real(label="momentum", example=0.9, default=0.9, minimum=0.0, maximum=1.0,
                exclusive_maximum=True)
BETA1 = Real(label="beta1", example=0.9, default=0.9, minimum=0.0, maximum=1.0,
             exclusive_maximum=True)
BETA2 = Real(label="beta2", example=0.999, default=0.999, minimum=0.0, maximum=1.0,
             exclusive_maximum=True)
EPS = Real(label="eps", example=1e-8, default=1e-8, minimum=0.0, maximum=1.0,
           exclusive_minimum=True)
WEIGHT_DECAY = Real(label="weight decay", example=0.01, default=0.01, minimum=0.0)


@dataclass(frozen=True)
class OptimizerInfo:
    """One row of `OPTIMIZERS`: the class that updates, its settings, and how it batches.

    `hyperparameters` are the keys the spec's `optimizer` object takes besides `name` and
    `learning_rate`, in the normalised spec's order, each with its rule and default.
    Calling the row builds the optimizer: `OPTIMIZERS["adam"](settings, size, dtype)`.
    """

    update: type[GD]
    hyperparameters: Mapping[str, Real] = field(default_factory=dict)
    full_batch: bool = False  # True: the spec's batch_size must be "full"

    @property
    def state_arrays(self) -> int:
        """Return how many per-parameter arrays the optimizer keeps between steps."""
        return self.update.state_arrays

    def defaults(self) -> dict[str, float]:
        """Return the default of every hyperparameter besides the learning rate."""
        return {key: rule.default for key, rule in self.hyperparameters.items()}

    def __call__(self, settings: dict[str, Any], size: int, dtype: np.dtype) -> GD:
        """Build the optimizer for `size` parameters from a spec's `optimizer` section."""
        return self.update(settings, size, dtype)


OPTIMIZERS: dict[str, OptimizerInfo] = {
    "gd": OptimizerInfo(GD, full_batch=True),
    "sgd": OptimizerInfo(GD),
    "momentum": OptimizerInfo(Momentum, {"momentum": MOMENTUM}),
    "nesterov": OptimizerInfo(Nesterov, {"momentum": MOMENTUM}),
    "adagrad": OptimizerInfo(Adagrad, {"eps": EPS.with_default(1e-10)}),
    # rmsprop's beta2 is the decay of its squared-gradient average (PyTorch's alpha).
    "rmsprop": OptimizerInfo(RMSprop, {"beta2": BETA2.with_default(0.99), "eps": EPS}),
    "adam": OptimizerInfo(Adam, {"beta1": BETA1, "beta2": BETA2, "eps": EPS}),
    "adamw": OptimizerInfo(
        AdamW, {"beta1": BETA1, "beta2": BETA2, "eps": EPS, "weight_decay": WEIGHT_DECAY}
    ),
}


def make_optimizer(settings: dict[str, Any], size: int, dtype: np.dtype) -> GD:
    """Return the optimizer a spec's `optimizer` section names, for `size` parameters."""
    name = settings["name"]
    if name not in OPTIMIZERS:
        raise ValueError(f"Unknown optimizer: {name!r}")
    return OPTIMIZERS[name](settings, size, dtype)
