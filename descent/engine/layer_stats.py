"""Gradient flow per layer: how large each layer's gradients, weights and updates are.

Sampled on one optimizer step (the first batch of an epoch), per layer with W and b taken
together as one vector θ of the layer's parameters:

- `grad_rms`: RMS of the gradient the optimizer stepped with (the data loss's gradient plus
  the L2 term, after clipping);
- `weight_rms`: RMS of θ before the step;
- `update_ratio`: ‖Δθ‖ / ‖θ‖ for that step, the update as a fraction of the weights (healthy
  training sits around 10⁻³; 10⁻¹ and above means the learning rate is too large for that
  layer; 10⁻⁵ and below means the layer barely moves).

A sample costs a copy of the parameters and a few whole-buffer numpy calls, whatever the
depth: tens of microseconds, once per epoch.
"""

import math
from typing import TypedDict

import numpy as np

from descent.engine.model import Model
from descent.engine.serialise import finite_or_none


class LayerStats(TypedDict):
    """One layer at one sampled step; floats are None where they are not finite."""

    layer: int  # 1-based: layer k is the spec's layers[k - 1]
    grad_rms: float | None
    weight_rms: float | None
    update_ratio: float | None


def layer_statistics(model: Model, before: np.ndarray) -> list[LayerStats]:
    """Return each layer's statistics for the step that just moved `before` to `model.params`.

    Shape: `before` (n_parameters,), the flat parameters before the step, in the model's
    layout; it is overwritten with the update `params − before`. `model.grads` must still hold
    the gradient the step used (the optimizers never write to it).
    """
    starts, sizes = _segments(model)
    weights = _layer_squares(before, starts)
    np.subtract(model.params, before, out=before)
    updates = _layer_squares(before, starts)
    gradients = _layer_squares(model.grads, starts)
    found: list[LayerStats] = []
    for index, size in enumerate(sizes):
        weight = weights[index]
        found.append(
            LayerStats(
                layer=index + 1,
                grad_rms=finite_or_none(math.sqrt(gradients[index] / size)),
                weight_rms=finite_or_none(math.sqrt(weight / size)),
                update_ratio=(
                    finite_or_none(math.sqrt(updates[index] / weight)) if weight > 0 else None
                ),
            )
        )
    return found


def _segments(model: Model) -> tuple[np.ndarray, list[int]]:
    """Return where each layer's W and then each layer's b start, and each layer's size.

    The flat buffer holds every W, then every b, so these 2·L starts cut it into W₁..W_L,
    b₁..b_L, and `np.add.reduceat` sums each segment in one call.
    """
    slices = model.layer_slices
    starts = np.array([w.start for w, _ in slices] + [b.start for _, b in slices])
    sizes = [(w.stop - w.start) + (b.stop - b.start) for w, b in slices]
    return starts, sizes


def _layer_squares(flat: np.ndarray, starts: np.ndarray) -> list[float]:
    """Return the sum of squares of each layer's entries, its W and its b together."""
    sums = np.add.reduceat(np.square(flat, dtype=np.float64), starts)
    n_layers = len(starts) // 2
    return (sums[:n_layers] + sums[n_layers:]).tolist()
