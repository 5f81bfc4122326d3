"""Gradient flow per layer: how large each layer's gradients, weights and updates are.

Sampled on one optimizer step (the first batch of an epoch), per layer with W and b taken
together as one vector θ of the layer's parameters:

- `grad_rms`: RMS of the gradient the optimizer stepped with (the data loss's gradient plus
  the L2 term, after clipping);
- `weight_rms`: RMS of θ before the step;
- `update_ratio`: ‖Δθ‖ / ‖θ‖ for that step, the update as a fraction of the weights (healthy
  training sits around 10⁻³; 10⁻¹ and above means the learning rate is too large for that
  layer; 10⁻⁵ and below means the layer barely moves).

A sample costs a copy of the parameters and ten whole-buffer numpy calls, whatever the
depth: about 15-20 µs for a 1 251-parameter network, once per epoch; memory: a copy of the
parameters and one float64 vector of their length.
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


class LayerSampler:
    """Sample the per-layer statistics of one optimizer step of a model.

    Call `before_step()` just before the optimizer's step and `sample()` just after it.

    Shape: `before` (n_parameters,) in the model's dtype and one float64 work vector of the
    same length, made once. Squares of the weights, the update and the gradient are each
    summed per W and per b segment with one `np.add.reduceat` (the flat buffer holds every W,
    then every b).
    """

    def __init__(self, model: Model) -> None:
        self.model = model
        slices = model.layer_slices
        self.starts = np.array([w.start for w, _ in slices] + [b.start for _, b in slices])
        self.sizes = [(w.stop - w.start) + (b.stop - b.start) for w, b in slices]
        self.before = np.empty(model.n_parameters, model.dtype)
        self.work = np.empty(model.n_parameters)

    def before_step(self) -> None:
        """Keep the parameters as they are before the step."""
        np.copyto(self.before, self.model.params)

    def sample(self) -> list[LayerStats]:
        """Return each layer's statistics for the step since `before_step`.

        `model.grads` must still hold the gradient the step used (the optimizers never write
        to it).
        """
        model, work = self.model, self.work
        np.square(self.before, out=work)
        weights = self._per_layer()
        np.subtract(model.params, self.before, out=work)
        np.square(work, out=work)
        updates = self._per_layer()
        np.square(model.grads, out=work)
        gradients = self._per_layer()
        found: list[LayerStats] = []
        for index, size in enumerate(self.sizes):
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

    def _per_layer(self) -> list[float]:
        """Return the work vector's sum over each layer's W and b segments."""
        sums = np.add.reduceat(self.work, self.starts)
        n_layers = len(self.sizes)
        return (sums[:n_layers] + sums[n_layers:]).tolist()
