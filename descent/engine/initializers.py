"""Weight initializers keyed by the spec's strings; biases always start at zero.

Each takes `(rng, fan_in, fan_out)` and returns a float64 `W` of shape (fan_in, fan_out); the
model casts it to its dtype, so float32 and float64 models built from one seed start alike.
The normal variants are plain (not truncated) normals, as in PyTorch's `nn.init`.

`INITIALIZERS`, at the bottom, is the one table of initializers; `spec.py` reads the names
from it. To add one, write its function here and add its row.
"""

import math
from collections.abc import Callable

import numpy as np

Initializer = Callable[[np.random.Generator, int, int], np.ndarray]


def glorot_uniform(rng: np.random.Generator, fan_in: int, fan_out: int) -> np.ndarray:
    """Draw from U(-a, a) with `a = √(6 / (fan_in + fan_out))`."""
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_in, fan_out))


def glorot_normal(rng: np.random.Generator, fan_in: int, fan_out: int) -> np.ndarray:
    """Draw from N(0, sigma²) with `sigma = √(2 / (fan_in + fan_out))`."""
    return rng.normal(0.0, math.sqrt(2.0 / (fan_in + fan_out)), size=(fan_in, fan_out))


def he_uniform(rng: np.random.Generator, fan_in: int, fan_out: int) -> np.ndarray:
    """Draw from U(-a, a) with `a = √(6 / fan_in)`."""
    limit = math.sqrt(6.0 / fan_in)
    return rng.uniform(-limit, limit, size=(fan_in, fan_out))


def he_normal(rng: np.random.Generator, fan_in: int, fan_out: int) -> np.ndarray:
    """Draw from N(0, sigma²) with `sigma = √(2 / fan_in)`."""
    return rng.normal(0.0, math.sqrt(2.0 / fan_in), size=(fan_in, fan_out))


def zeros(rng: np.random.Generator, fan_in: int, fan_out: int) -> np.ndarray:
    """Return all zeros (every unit then learns the same thing: a lesson, not a default)."""
    return np.zeros((fan_in, fan_out))


INITIALIZERS: dict[str, Initializer] = {
    "glorot_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
    "zeros": zeros,
}
