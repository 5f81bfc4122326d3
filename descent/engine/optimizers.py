"""The eight optimizers, in order of increasing complexity.

Each updates the model's flat parameter buffer in place from the flat gradient buffer, with
PyTorch's formulas (`torch.optim.SGD` with dampening 0, `Adagrad`, `RMSprop`, `Adam`, `AdamW`)
so that a run can be checked against it step for step. State and scratch arrays are made
once; a step is a few whole-buffer numpy calls with `out=`, and every scalar is a Python
float, which numpy applies in the array's own dtype.
"""

import math
from typing import Any

import numpy as np


class GD:
    """Plain gradient descent, `p -= lr·g`; `gd` runs it on the full batch, `sgd` on batches."""

    def __init__(self, settings: dict[str, Any], size: int, dtype: np.dtype) -> None:
        self.scratch = np.zeros(size, dtype)

    def step(self, params: np.ndarray, grads: np.ndarray, learning_rate: float) -> None:
        """Apply one update."""
        np.multiply(grads, learning_rate, out=self.scratch)
        params -= self.scratch


class Momentum(GD):
    """Heavy ball: `buf = μ·buf + g`, `p -= lr·buf` (PyTorch SGD, dampening 0)."""

    nesterov = False

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


OPTIMIZERS: dict[str, type[GD]] = {
    "gd": GD,
    "sgd": GD,
    "momentum": Momentum,
    "nesterov": Nesterov,
    "adagrad": Adagrad,
    "rmsprop": RMSprop,
    "adam": Adam,
    "adamw": AdamW,
}


def make_optimizer(settings: dict[str, Any], size: int, dtype: np.dtype) -> GD:
    """Return the optimizer a spec's `optimizer` section names, for `size` parameters."""
    name = settings["name"]
    if name not in OPTIMIZERS:
        raise ValueError(f"Unknown optimizer: {name!r}")
    return OPTIMIZERS[name](settings, size, dtype)
