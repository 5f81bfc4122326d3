"""The decision boundary: a 2-input model's prediction over its input plane, as a coarse grid.

The plane is the box around the training points (`grid_bounds`), cut into n×n cells; each
cell holds the model's prediction at its centre (`predict_grid`). Row `i` of a grid lies at
`y = ys[i]` and column `j` at `x = xs[j]`, both ascending, so row 0 is the bottom of the
picture.

A frame (`boundary_frame`) is that grid made cheap to send: one byte per cell per channel,
base64-encoded. Classification sends two channels, the predicted class and its probability
(the colour and its strength); regression sends the predicted value, scaled into a stated
range. A 48×48 classification frame is 2 × 3 072 base64 characters, about 6.3 kB of JSON; a
regression frame half that.
"""

import base64
from typing import Any

import numpy as np

from descent.engine.model import Model

DEFAULT_SIZE = 48
DEFAULT_MARGIN = 0.1
ENCODING = "uint8-base64"

# (x_min, x_max, y_min, y_max)
Bounds = tuple[float, float, float, float]


def grid_bounds(X: np.ndarray, margin: float = DEFAULT_MARGIN) -> Bounds:
    """Return the box around the points `X`, widened by `margin` of its size on every side.

    Shape: X (n, 2). A coordinate with no spread is widened by `margin` on each side of 1.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2 or len(X) == 0:
        raise ValueError(f"grid_bounds needs points of shape (n, 2) with n ≥ 1; got {X.shape}")
    if not margin >= 0:
        raise ValueError(f"Invalid margin: {margin}; use a number ≥ 0, e.g. 0.1")
    low, high = X.min(axis=0), X.max(axis=0)
    size = np.where(high > low, high - low, 1.0)
    low, high = low - margin * size, high + margin * size
    return (float(low[0]), float(high[0]), float(low[1]), float(high[1]))


def grid_axes(bounds: Bounds, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the cell centres along x and along y, each (n,) ascending."""
    if not (isinstance(n, int) and n >= 2):
        raise ValueError(f"Invalid grid size: {n!r}; use an int ≥ 2, e.g. 48")
    x_min, x_max, y_min, y_max = bounds
    if not (x_max > x_min and y_max > y_min):
        raise ValueError(f"Invalid bounds: {bounds}; need x_min < x_max and y_min < y_max")
    cells = (np.arange(n) + 0.5) / n
    return x_min + cells * (x_max - x_min), y_min + cells * (y_max - y_min)


def grid_points(bounds: Bounds, n: int) -> np.ndarray:
    """Return the n·n cell centres as rows of inputs, row-major (y outer, x inner).

    Shape: (n·n, 2); row `i·n + j` is `(xs[j], ys[i])`.
    """
    xs, ys = grid_axes(bounds, n)
    points = np.empty((n, n, 2))
    points[..., 0] = xs[None, :]
    points[..., 1] = ys[:, None]
    return points.reshape(n * n, 2)


def predict_grid(
    model: Model, bounds: Bounds, n: int = DEFAULT_SIZE, *, points: np.ndarray | None = None
) -> np.ndarray:
    """Return the model's prediction at every cell centre of the plane.

    Shape: (n, n) when the model has one output (the probability of class 1 for binary
    classification, the value for regression), else (n, n, k) (class probabilities, or k
    regression outputs). `grid[i, j]` equals `model.predict` of `(xs[j], ys[i])`. It costs
    one forward pass over n·n rows (2 304 for n = 48), in evaluation mode: no dropout, no
    random numbers drawn, the model's parameters untouched. `points` may pass in
    `grid_points(bounds, n)` made once (in the model's dtype), for a run's many frames.
    """
    n_inputs = model.layers[0].W.shape[0]
    if n_inputs != 2:
        raise ValueError(f"predict_grid needs a model with 2 inputs; this one has {n_inputs}")
    predictions = model.predict(grid_points(bounds, n) if points is None else points)
    k = predictions.shape[1]
    return predictions.reshape(n, n) if k == 1 else predictions.reshape(n, n, k)


def quantise(values: np.ndarray, low: float, high: float) -> bytes:
    """Return `values` scaled from [low, high] onto 0..255 (clipped), one byte each, row-major.

    NaN becomes 0; ±inf clip to 255 and 0. Rounds to the nearest step.
    """
    scaled = np.subtract(values, low, dtype=np.float64)
    scaled *= 255.0 / (high - low)
    np.clip(scaled, 0.0, 255.0, out=scaled)
    scaled[np.isnan(scaled)] = 0.0
    scaled += 0.5
    return scaled.astype(np.uint8).tobytes()


def encode_grid(grid: np.ndarray, task: str, value_range: tuple[float, float] | None = None
                ) -> dict[str, Any]:
    """Return a grid from `predict_grid` as JSON-ready channels of one byte per cell.

    - classification (`task` "binary" or "multiclass"): `{"kind": "classes", "classes": ...,
      "confidence": ...}`; `classes` holds the predicted class index per cell, `confidence`
      its probability × 255 (binary: class 1 where p ≥ 0.5, confidence max(p, 1 − p)).
    - regression: `{"kind": "values", "values": ..., "range": [low, high]}`; the first
      output, `(value − low)/(high − low) × 255`, clipped. `value_range` defaults to the
      grid's own minimum and maximum.

    Each channel is n·n bytes, row-major like the grid, base64-encoded (ASCII).
    """
    n = grid.shape[0]
    if task in ("binary", "multiclass"):
        if grid.ndim == 2:
            classes = (grid >= 0.5).astype(np.uint8)
            confidence = np.maximum(grid, 1.0 - grid)
        else:
            classes = grid.argmax(axis=2).astype(np.uint8)
            # One np.maximum per class: a reduction over a last axis of 3 is 10x slower.
            confidence = grid[..., 0].copy()
            for index in range(1, grid.shape[2]):
                np.maximum(confidence, grid[..., index], out=confidence)
        return {
            "size": n,
            "kind": "classes",
            "encoding": ENCODING,
            "classes": _base64(classes.tobytes()),
            "confidence": _base64(quantise(confidence, 0.0, 1.0)),
        }
    values = grid if grid.ndim == 2 else grid[..., 0]
    if value_range is None:
        finite = values[np.isfinite(values)]
        value_range = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    low, high = (float(v) for v in value_range)
    if not high > low:
        low, high = low - 0.5, low + 0.5
    return {
        "size": n,
        "kind": "values",
        "encoding": ENCODING,
        "values": _base64(quantise(values, low, high)),
        "range": [low, high],
    }


def decode_grid(frame: dict[str, Any]) -> dict[str, np.ndarray]:
    """Return the channels of an encoded frame as (n, n) arrays.

    `classes` (uint8 class indices) and `confidence` (floats in [0, 1]) for classification;
    `values` (floats, within the frame's range) for regression. The inverse of `encode_grid`
    up to its rounding: (high − low)/510 for values, 1/510 for confidence.
    """
    n = frame["size"]

    def channel(name: str) -> np.ndarray:
        raw = np.frombuffer(base64.b64decode(frame[name]), dtype=np.uint8)
        return raw.reshape(n, n)

    if frame["kind"] == "classes":
        return {"classes": channel("classes"), "confidence": channel("confidence") / 255.0}
    low, high = frame["range"]
    return {"values": low + channel("values") * ((high - low) / 255.0)}


def boundary_frame(
    model: Model,
    bounds: Bounds,
    n: int,
    *,
    task: str,
    epoch: int,
    value_range: tuple[float, float] | None = None,
    points: np.ndarray | None = None,
) -> dict[str, Any]:
    """Return one JSON-ready frame of the decision boundary after `epoch`.

    `{"epoch", "bounds": [x_min, x_max, y_min, y_max], "size", "kind", "encoding", and the
    channels of `encode_grid`}`; `points` as for `predict_grid`.
    """
    frame = encode_grid(predict_grid(model, bounds, n, points=points), task, value_range)
    return {"epoch": epoch, "bounds": [float(b) for b in bounds], **frame}


def _base64(raw: bytes) -> str:
    """Return bytes as base64 text."""
    return base64.b64encode(raw).decode("ascii")
