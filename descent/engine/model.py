"""The network: dense layers over one flat parameter buffer, and `build_model`.

All weights sit first in one flat array and all biases after them, with the gradients laid
out alike: an optimizer step is a handful of numpy calls over the whole model, and the L2
penalty (weights only) touches one contiguous prefix. `parameters()` still lists them in
layer order, W then b, as views into that buffer.
"""

import math
from itertools import pairwise
from typing import Any

import numpy as np

from descent.engine.activations import ACTIVATIONS
from descent.engine.initializers import INITIALIZERS
from descent.engine.layers import Dense
from descent.engine.losses import LOSSES

# Rows per chunk when evaluating a whole split: bounds the memory of big validation sets.
EVAL_CHUNK_ROWS = 2048

# The one table of dtypes a spec may name; spec.py reads the names, budget.py the sizes.
DTYPES = {"float32": np.float32, "float64": np.float64}


class Model:
    """A stack of dense layers trained against one loss.

    Shape:
        - X: (n, n_inputs) → output: (n, units of the last layer)
        - `params`, `grads`: flat (n_parameters,); `parameters()` are views into `params`
          in layer order, W (in, out) then b (out,); `layer_slices[k]` is the
          (W slice, b slice) of layer k in the flat buffers.
    """

    def __init__(self, spec: dict[str, Any], n_inputs: int, rng: np.random.Generator) -> None:
        self.dtype = np.dtype(DTYPES[spec["dtype"]])
        self.loss_name = spec["loss"]
        self.loss = LOSSES[self.loss_name]
        widths = [n_inputs] + [layer["units"] for layer in spec["layers"]]
        shapes = list(pairwise(widths))
        self.n_weights = sum(n_in * n_out for n_in, n_out in shapes)
        self.n_parameters = self.n_weights + sum(n_out for _, n_out in shapes)
        self.params = np.zeros(self.n_parameters, self.dtype)
        self.grads = np.zeros(self.n_parameters, self.dtype)

        last = spec["layers"][-1]["activation"]
        # A fused last layer outputs logits in training; predict() applies the activation.
        self.fused = self.loss.fused_with == last
        self.output_activation = ACTIVATIONS[last]
        self.layers: list[Dense] = []
        # Where each layer's W and b sit in the flat buffers, for per-layer statistics.
        self.layer_slices: list[tuple[slice, slice]] = []
        weight_at, bias_at = 0, self.n_weights
        for index, (layer, (n_in, n_out)) in enumerate(zip(spec["layers"], shapes, strict=True)):
            W = self.params[weight_at : weight_at + n_in * n_out].reshape(n_in, n_out)
            dW = self.grads[weight_at : weight_at + n_in * n_out].reshape(n_in, n_out)
            b = self.params[bias_at : bias_at + n_out]
            db = self.grads[bias_at : bias_at + n_out]
            W[...] = INITIALIZERS[layer["init"]](rng, n_in, n_out)
            is_last = index == len(shapes) - 1
            activation = "linear" if is_last and self.fused else layer["activation"]
            self.layers.append(
                Dense(W, b, dW, db, activation, layer["dropout"], index > 0)
            )
            self.layer_slices.append(
                (slice(weight_at, weight_at + n_in * n_out), slice(bias_at, bias_at + n_out))
            )
            weight_at += n_in * n_out
            bias_at += n_out
        self._loss_grad_buffers: dict[int, np.ndarray] = {}

    def parameters(self) -> list[np.ndarray]:
        """Return views of every parameter in layer order: W (in, out), b (out,), ..."""
        return [p for layer in self.layers for p in (layer.W, layer.b)]

    def gradients(self) -> list[np.ndarray]:
        """Return views of the last computed gradients, matching `parameters()`."""
        return [g for layer in self.layers for g in (layer.dW, layer.db)]

    def prepare_targets(self, y: np.ndarray) -> np.ndarray:
        """Return labels in the form this model's loss reads (see `losses.py`)."""
        return self.loss.prepare_targets(y, self.dtype)

    def forward(self, X: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        """Return the last layer's output (logits when fused); `rng` means training mode.

        The result is a work buffer, overwritten by the next call with as many rows.
        """
        for layer in self.layers:
            X = layer.forward(X, rng)
        return X

    def step(self, X: np.ndarray, y: np.ndarray, rng: np.random.Generator | None) -> float:
        """Return the data loss on a batch and fill `grads`; `y` as from `prepare_targets`."""
        out = self.forward(X, rng)
        grad = self._loss_grad_buffers.get(len(out))
        if grad is None:
            grad = self._loss_grad_buffers[len(out)] = np.empty_like(out)
        loss = self.loss.value_and_grad(out, y, grad)
        for layer in reversed(self.layers):
            grad = layer.backward(grad)
        return loss

    def loss_and_gradients(
        self, X: np.ndarray, y: np.ndarray, *, rng: np.random.Generator | None = None
    ) -> tuple[float, list[np.ndarray]]:
        """Return the data loss (no penalty) and copies of the gradients of `parameters()`.

        Evaluation mode (no dropout) unless an `rng` is given to draw the dropout masks.
        """
        X = np.ascontiguousarray(X, dtype=self.dtype)
        loss = self.step(X, self.prepare_targets(y), rng)
        return loss, [g.copy() for g in self.gradients()]

    def to_predictions(self, out: np.ndarray) -> np.ndarray:
        """Turn the training-mode output into probabilities (fused) or leave it (in place)."""
        return self.output_activation.forward(out) if self.fused else out

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Return probabilities (classification) or values (regression) for `X`, (n, out)."""
        X = np.ascontiguousarray(X, dtype=self.dtype)
        n_out = self.layers[-1].W.shape[1]
        predictions = np.empty((len(X), n_out), self.dtype)
        for start in range(0, len(X), EVAL_CHUNK_ROWS):
            chunk = self.forward(X[start : start + EVAL_CHUNK_ROWS])
            predictions[start : start + len(chunk)] = self.to_predictions(chunk)
        return predictions

    def evaluate(self, X: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        """Return the mean data loss and the predictions on a split; `y` prepared."""
        n_out = self.layers[-1].W.shape[1]
        predictions = np.empty((len(X), n_out), self.dtype)
        total = 0.0
        for start in range(0, len(X), EVAL_CHUNK_ROWS):
            chunk = self.forward(X[start : start + EVAL_CHUNK_ROWS])
            rows = len(chunk)
            total += self.loss.value(chunk, y[start : start + rows]) * rows
            predictions[start : start + rows] = self.to_predictions(chunk)
        return total / max(len(X), 1), predictions

    def mean_loss(self, X: np.ndarray, y: np.ndarray) -> float:
        """Return the mean data loss on a split without keeping predictions; `y` prepared."""
        total = 0.0
        for start in range(0, len(X), EVAL_CHUNK_ROWS):
            chunk = self.forward(X[start : start + EVAL_CHUNK_ROWS])
            total += self.loss.value(chunk, y[start : start + len(chunk)]) * len(chunk)
        return total / max(len(X), 1)

    def penalty(self, l2: float) -> float:
        """Return the coupled L2 penalty `(l2/2)·ΣW²` over the weights (biases excluded)."""
        weights = self.params[: self.n_weights]
        return 0.5 * l2 * float(np.vdot(weights, weights))

    def add_penalty_gradient(self, l2: float, scratch: np.ndarray) -> None:
        """Add the penalty's gradient `l2·W` to the weights' gradients; `scratch` (n_weights,)."""
        np.multiply(self.params[: self.n_weights], l2, out=scratch)
        self.grads[: self.n_weights] += scratch

    def layer_gradient_norms(self) -> list[float]:
        """Return the root-mean-square of each layer's last `dW`, input side first."""
        return [
            math.sqrt(float(np.vdot(layer.dW, layer.dW)) / layer.dW.size) for layer in self.layers
        ]


def build_model(spec: dict[str, Any], n_inputs: int, seed: int) -> Model:
    """Build the network a normalised spec describes, its weights drawn from `seed`."""
    return Model(spec, n_inputs, np.random.default_rng(seed))
