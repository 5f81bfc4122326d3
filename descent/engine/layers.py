"""The dense layer and inverted dropout, forward and backward side by side.

Layers own no parameters: `W`, `b`, `dW` and `db` are views into the model's flat buffers,
so an optimizer updates every parameter in a few large numpy calls. Each layer keeps one
set of work buffers per batch size it has seen (the batch, the last short batch, the
evaluation chunk), so a training step allocates almost nothing.
"""

from functools import lru_cache

import numpy as np

from descent.engine.activations import ACTIVATIONS


@lru_cache(maxsize=32)
def ones(n: int, dtype: np.dtype) -> np.ndarray:
    """Return a cached read-only vector of `n` ones.

    `ones @ dZ` sums the batch through BLAS, several times faster than `dZ.sum(axis=0)` when
    the layer is narrow.
    """
    vector = np.ones(n, dtype)
    vector.flags.writeable = False
    return vector


class Dropout:
    """Zero each unit with probability `p` and scale the rest by `1/(1 - p)` (inverted dropout).

    Shape:
        - A: (n, units) → same shape; `mask` (n, units) bool is kept for the backward pass.
    """

    def __init__(self, p: float) -> None:
        self.p = p
        self.scale = 1.0 / (1.0 - p)
        self.mask: np.ndarray | None = None

    def forward(self, A: np.ndarray, rng: np.random.Generator, out: np.ndarray) -> np.ndarray:
        """Write the dropped-out `A` into `out` and return it."""
        # Drawn in float64 whatever the model's dtype, so float32 and float64 runs of one
        # seed drop the same units.
        self.mask = rng.random(A.shape) >= self.p
        np.multiply(A, self.mask, out=out)
        out *= self.scale
        return out

    def backward(self, dA: np.ndarray) -> np.ndarray:
        """Route `dA` through the units kept in the forward pass, in place."""
        np.multiply(dA, self.mask, out=dA)
        dA *= self.scale
        return dA


class Dense:
    """Compute `A = activation(X @ W + b)`, then dropout when training.

    Shape:
        - X: (n, in) → A: (n, out)
        - W: (in, out), b: (out,), and dW, db alike
    """

    def __init__(
        self,
        W: np.ndarray,
        b: np.ndarray,
        dW: np.ndarray,
        db: np.ndarray,
        activation: str,
        dropout: float = 0.0,
        needs_input_gradient: bool = True,
    ) -> None:
        self.W, self.b, self.dW, self.db = W, b, dW, db
        self.activation = ACTIVATIONS[activation]
        self.dropout = Dropout(dropout) if dropout > 0 else None
        self.needs_input_gradient = needs_input_gradient
        self._buffers: dict[int, tuple[np.ndarray, np.ndarray | None]] = {}
        self._input_gradients: dict[int, np.ndarray] = {}
        self.X: np.ndarray | None = None
        self.Z: np.ndarray | None = None
        self.A: np.ndarray | None = None
        self.dropped = False

    def _buffers_for(self, n: int) -> tuple[np.ndarray, np.ndarray | None]:
        """Return the (output, dropout-output) buffers for batches of `n`."""
        buffers = self._buffers.get(n)
        if buffers is None:
            shape, dtype = (n, self.W.shape[1]), self.W.dtype
            buffers = (np.empty(shape, dtype), np.empty(shape, dtype) if self.dropout else None)
            self._buffers[n] = buffers
        return buffers

    def forward(self, X: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        """Return the layer's output for `X`; `rng` given means training, with dropout."""
        out, dropped = self._buffers_for(len(X))
        np.matmul(X, self.W, out=out)
        out += self.b
        self.X = X
        self.Z = out.copy() if self.activation.needs_input else None
        self.A = A = self.activation.forward(out)
        self.dropped = rng is not None and self.dropout is not None
        if self.dropped:
            return self.dropout.forward(A, rng, dropped)
        return A

    def backward(self, dA: np.ndarray) -> np.ndarray | None:
        """Fill `dW` and `db` from `dA` (overwritten) and return dLoss/dX, or None if unneeded."""
        if self.dropped:
            dA = self.dropout.backward(dA)
        dZ = self.activation.backward(dA, self.A, self.Z)
        np.matmul(self.X.T, dZ, out=self.dW)
        np.matmul(ones(len(dZ), dZ.dtype), dZ, out=self.db)
        if not self.needs_input_gradient:
            return None
        dX = self._input_gradients.get(len(dZ))
        if dX is None:
            dX = self._input_gradients[len(dZ)] = np.empty((len(dZ), self.W.shape[0]), dZ.dtype)
        return np.matmul(dZ, self.W.T, out=dX)
