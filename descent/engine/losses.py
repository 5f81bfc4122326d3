"""Losses, value and gradient side by side, keyed by the spec's strings.

Shape:
    - out: (n, k), the last layer's output; logits for the two fused losses
    - y: what `prepare_targets` made of the labels: (n,) class indices for `cross_entropy`,
      (n, 1) 0/1 floats for `binary_cross_entropy`, (n, k) values otherwise
    - grad: (n, k), written in place by `value_and_grad` with dLoss/dout

`cross_entropy` takes logits and fuses softmax in with log-sum-exp; `binary_cross_entropy`
takes logits and fuses the sigmoid in, `max(z, 0) - z·y + log1p(exp(-|z|))`: neither
overflows whatever the logits. `mse`, `mae` and `huber` (delta 1) average over samples and
outputs, like PyTorch's `reduction="mean"`.

`LOSSES`, at the bottom, is the one table of losses, keyed by the spec's strings: besides the
functions, each row says what its last layer must be (`fused_with`, `output_units`) and which
tasks it fits; `spec.py` derives every loss/last-layer/task rule from it. To add a loss,
write its value and gradient here and add its row.
"""

from collections.abc import Callable
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from descent.engine.tasks import BINARY, MULTICLASS, REGRESSION

# How many units the last layer needs, per loss (`Loss.output_units`).
ONE_PER_CLASS = "one per class"  # at least 2; the data's class count
ONE = "one"  # exactly 1 (a probability of class 1)
ONE_PER_TARGET = "one per target"  # the data's target width


class Loss(NamedTuple):
    """A loss: `value(out, y)`, `value_and_grad(out, y, grad)` and `prepare_targets(y, dtype)`.

    - `output_units`: `ONE_PER_CLASS`, `ONE` or `ONE_PER_TARGET` (the last layer's width).
    - `tasks`: the tasks (`tasks.TASKS`) it can train.
    - `fused_with`: the last-layer activation this loss absorbs (it then reads logits); the
      spec requires that activation on the last layer. None: any non-output-only activation.
    """

    value: Callable[[np.ndarray, np.ndarray], float]
    value_and_grad: Callable[[np.ndarray, np.ndarray, np.ndarray], float]
    prepare_targets: Callable[[np.ndarray, np.dtype], np.ndarray]
    output_units: str
    tasks: tuple[str, ...]
    fused_with: str | None = None


@lru_cache(maxsize=16)
def _rows(n: int) -> np.ndarray:
    """Return `arange(n)`, cached: the fancy index of one entry per row."""
    return np.arange(n)


def class_indices(y: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Return labels as a flat integer index array, shape (n,)."""
    return np.ascontiguousarray(np.asarray(y).reshape(-1), dtype=np.intp)


def binary_targets(y: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Return 0/1 labels as floats of shape (n, 1)."""
    return np.ascontiguousarray(np.asarray(y).reshape(-1, 1), dtype=dtype)


def real_targets(y: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Return regression targets as floats of shape (n, k)."""
    y = np.asarray(y)
    return np.ascontiguousarray(y.reshape(len(y), -1), dtype=dtype)


def mse(out: np.ndarray, y: np.ndarray) -> float:
    """Return the mean of `(out - y)²` over samples and outputs."""
    diff = out - y
    return float(np.vdot(diff, diff)) / diff.size


def mse_value_and_grad(out: np.ndarray, y: np.ndarray, grad: np.ndarray) -> float:
    """Return the mean squared error; write `2·(out - y)/N` into `grad`."""
    np.subtract(out, y, out=grad)
    value = float(np.vdot(grad, grad)) / grad.size
    grad *= 2.0 / grad.size
    return value


def mae(out: np.ndarray, y: np.ndarray) -> float:
    """Return the mean of `|out - y|` over samples and outputs."""
    return float(np.abs(out - y).mean())


def mae_value_and_grad(out: np.ndarray, y: np.ndarray, grad: np.ndarray) -> float:
    """Return the mean absolute error; write `sign(out - y)/N` into `grad` (0 at a tie)."""
    np.subtract(out, y, out=grad)
    value = float(np.abs(grad).mean())
    np.sign(grad, out=grad)
    grad *= 1.0 / grad.size
    return value


def huber(out: np.ndarray, y: np.ndarray) -> float:
    """Return the mean Huber loss with delta 1: `d²/2` if `|d| ≤ 1`, else `|d| - 1/2`."""
    size = np.abs(out - y)
    return float(np.where(size <= 1.0, 0.5 * size * size, size - 0.5).mean())


def huber_value_and_grad(out: np.ndarray, y: np.ndarray, grad: np.ndarray) -> float:
    """Return the mean Huber loss; write `clip(out - y, -1, 1)/N` into `grad`."""
    np.subtract(out, y, out=grad)
    value = huber(out, y)
    np.clip(grad, -1.0, 1.0, out=grad)
    grad *= 1.0 / grad.size
    return value


def binary_cross_entropy(logits: np.ndarray, y: np.ndarray) -> float:
    """Return the mean binary cross-entropy of `sigmoid(logits)` against 0/1 `y`."""
    terms = np.maximum(logits, 0.0)
    terms -= logits * y
    terms += np.log1p(np.exp(-np.abs(logits)))
    return float(terms.mean())


def binary_cross_entropy_value_and_grad(
    logits: np.ndarray, y: np.ndarray, grad: np.ndarray
) -> float:
    """Return the mean binary cross-entropy; write `(sigmoid(logits) - y)/n` into `grad`."""
    value = binary_cross_entropy(logits, y)
    # sigmoid as 0.5·tanh(z/2) + 0.5: exact in both tails, no overflow.
    np.multiply(logits, 0.5, out=grad)
    np.tanh(grad, out=grad)
    grad *= 0.5
    grad += 0.5
    grad -= y
    grad *= 1.0 / len(grad)
    return value


def cross_entropy(logits: np.ndarray, y: np.ndarray) -> float:
    """Return the mean of `logsumexp(logits) - logits[y]` over rows."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    picked = shifted[_rows(len(y)), y]
    log_sums = np.log(np.exp(shifted).sum(axis=1))
    return float((log_sums - picked).mean())


def cross_entropy_value_and_grad(logits: np.ndarray, y: np.ndarray, grad: np.ndarray) -> float:
    """Return the mean cross-entropy; write `(softmax(logits) - onehot(y))/n` into `grad`."""
    n = len(y)
    rows = _rows(n)
    np.subtract(logits, logits.max(axis=1, keepdims=True), out=grad)
    picked = grad[rows, y]
    np.exp(grad, out=grad)
    sums = grad.sum(axis=1)
    value = float((np.log(sums) - picked).mean())
    grad *= (1.0 / n) / sums[:, None]
    grad[rows, y] -= 1.0 / n
    return value


LOSSES: dict[str, Loss] = {
    "mse": Loss(mse, mse_value_and_grad, real_targets, ONE_PER_TARGET, (REGRESSION,)),
    "mae": Loss(mae, mae_value_and_grad, real_targets, ONE_PER_TARGET, (REGRESSION,)),
    "huber": Loss(huber, huber_value_and_grad, real_targets, ONE_PER_TARGET, (REGRESSION,)),
    "binary_cross_entropy": Loss(
        binary_cross_entropy, binary_cross_entropy_value_and_grad, binary_targets, ONE,
        (BINARY,), fused_with="sigmoid",
    ),
    "cross_entropy": Loss(
        cross_entropy, cross_entropy_value_and_grad, class_indices, ONE_PER_CLASS,
        (BINARY, MULTICLASS), fused_with="softmax",
    ),
}
