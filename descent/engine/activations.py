"""Activations, forward and backward side by side, keyed by the spec's strings.

Each forward works in place on the pre-activation `Z` (n, units) and returns `A`; each
backward turns the upstream gradient `dA` into `dZ` in place and returns it. Most derivatives
are written in terms of the output `A`, so the layer need not keep `Z`; the few that need `Z`
say so with `needs_input`, and the layer then keeps a copy.

`gelu` is the tanh approximation (PyTorch `GELU(approximate="tanh")`): numpy has no `erf`, and
the approximation has a closed-form derivative that gradient checks to float64 precision.

`ACTIVATIONS`, at the bottom, is the one table of activations, keyed by the spec's strings:
`spec.py` reads the names and which are output-only from it, `model.py` and `layers.py` the
functions, `budget.py` whether a layer keeps a copy of its input (`needs_input`). To add an
activation, write its forward and backward here and add its row.
"""

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

LEAKY_RELU_SLOPE = 0.01
ELU_ALPHA = 1.0
_GELU_SCALE = math.sqrt(2.0 / math.pi)
_GELU_CUBIC = 0.044715


class Activation(NamedTuple):
    """An activation: `forward(Z) -> A` and `backward(dA, A, Z) -> dZ`, both in place.

    - `needs_input`: the backward pass reads `Z`, so the layer keeps a copy of it (one more
      (n, units) array per batch, which the budget counts).
    - `output_only`: it turns the outputs into class probabilities, so the spec allows it
      only on the last layer, and only with the loss that fuses it (`Loss.fused_with`).
    """

    forward: Callable[[np.ndarray], np.ndarray]
    backward: Callable[[np.ndarray, np.ndarray, np.ndarray | None], np.ndarray]
    needs_input: bool = False
    output_only: bool = False


def linear(Z: np.ndarray) -> np.ndarray:
    """Return `Z` unchanged."""
    return Z


def linear_backward(dA: np.ndarray, A: np.ndarray, Z: np.ndarray | None) -> np.ndarray:
    """Return `dA` unchanged: the derivative is one."""
    return dA


def relu(Z: np.ndarray) -> np.ndarray:
    """Apply `max(z, 0)` in place."""
    return np.maximum(Z, 0, out=Z)


def relu_backward(dA: np.ndarray, A: np.ndarray, Z: np.ndarray | None) -> np.ndarray:
    """Zero `dA` where the unit was off (`A > 0` exactly where `Z > 0`)."""
    return np.multiply(dA, A > 0, out=dA)


def leaky_relu(Z: np.ndarray) -> np.ndarray:
    """Apply `z if z > 0 else 0.01·z` in place."""
    # max(z, 0.01·z) picks the right branch because the slope is below one.
    return np.maximum(Z, Z * LEAKY_RELU_SLOPE, out=Z)


def leaky_relu_backward(dA: np.ndarray, A: np.ndarray, Z: np.ndarray | None) -> np.ndarray:
    """Scale `dA` by 0.01 where the unit was negative."""
    return np.multiply(dA, np.where(A > 0, 1.0, LEAKY_RELU_SLOPE).astype(dA.dtype), out=dA)


def elu(Z: np.ndarray) -> np.ndarray:
    """Apply `z if z > 0 else exp(z) - 1` (alpha 1) in place."""
    negative = Z < 0
    np.copyto(Z, np.expm1(Z), where=negative)
    return Z


def elu_backward(dA: np.ndarray, A: np.ndarray, Z: np.ndarray | None) -> np.ndarray:
    """Scale `dA` by `exp(z) = A + 1` where the unit was negative."""
    np.multiply(dA, A + ELU_ALPHA, out=dA, where=A < 0)
    return dA


def gelu(Z: np.ndarray) -> np.ndarray:
    """Apply `0.5·z·(1 + tanh(√(2/π)·(z + 0.044715·z³)))` in place (the tanh approximation)."""
    inner = Z * Z
    inner *= _GELU_CUBIC
    inner += 1.0
    inner *= Z
    inner *= _GELU_SCALE
    np.tanh(inner, out=inner)
    inner += 1.0
    inner *= 0.5
    return np.multiply(Z, inner, out=Z)


def gelu_backward(dA: np.ndarray, A: np.ndarray, Z: np.ndarray | None) -> np.ndarray:
    """Multiply `dA` by the derivative of the tanh-approximate GELU at `Z`."""
    assert Z is not None
    square = Z * Z
    t = square * _GELU_CUBIC
    t += 1.0
    t *= Z
    t *= _GELU_SCALE
    np.tanh(t, out=t)
    # d/dz = 0.5·(1 + t) + 0.5·z·(1 - t²)·√(2/π)·(1 + 3·0.044715·z²)
    slope = square * (3.0 * _GELU_CUBIC)
    slope += 1.0
    slope *= _GELU_SCALE
    slope *= Z
    slope *= 1.0 - t * t
    slope += 1.0 + t
    slope *= 0.5
    return np.multiply(dA, slope, out=dA)


def sigmoid(Z: np.ndarray) -> np.ndarray:
    """Apply `1 / (1 + exp(-z))` in place, written as `0.5·tanh(z/2) + 0.5` to never overflow."""
    Z *= 0.5
    np.tanh(Z, out=Z)
    Z *= 0.5
    Z += 0.5
    return Z


def sigmoid_backward(dA: np.ndarray, A: np.ndarray, Z: np.ndarray | None) -> np.ndarray:
    """Multiply `dA` by `A·(1 - A)`."""
    dA *= A
    return np.multiply(dA, 1.0 - A, out=dA)


def tanh(Z: np.ndarray) -> np.ndarray:
    """Apply `tanh(z)` in place."""
    return np.tanh(Z, out=Z)


def tanh_backward(dA: np.ndarray, A: np.ndarray, Z: np.ndarray | None) -> np.ndarray:
    """Multiply `dA` by `1 - A²`."""
    slope = A * A
    np.subtract(1.0, slope, out=slope)
    return np.multiply(dA, slope, out=dA)


def softmax(Z: np.ndarray) -> np.ndarray:
    """Turn each row of `Z` into probabilities in place, shifted by its max to never overflow."""
    Z -= Z.max(axis=1, keepdims=True)
    np.exp(Z, out=Z)
    Z /= Z.sum(axis=1, keepdims=True)
    return Z


def softmax_backward(dA: np.ndarray, A: np.ndarray, Z: np.ndarray | None) -> np.ndarray:
    """Apply the softmax Jacobian: `dZ = A·(dA - Σ dA·A)` row by row.

    Training never takes this path with `cross_entropy`, which is fused with softmax in
    `losses.py`; it serves a softmax last layer under another loss.
    """
    dA -= (dA * A).sum(axis=1, keepdims=True)
    return np.multiply(dA, A, out=dA)


ACTIVATIONS: dict[str, Activation] = {
    "linear": Activation(linear, linear_backward),
    "relu": Activation(relu, relu_backward),
    "leaky_relu": Activation(leaky_relu, leaky_relu_backward),
    "elu": Activation(elu, elu_backward),
    "gelu": Activation(gelu, gelu_backward, needs_input=True),
    "sigmoid": Activation(sigmoid, sigmoid_backward),
    "tanh": Activation(tanh, tanh_backward),
    "softmax": Activation(softmax, softmax_backward, output_only=True),
}
