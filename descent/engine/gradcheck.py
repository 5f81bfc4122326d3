"""Check a spec's analytic gradients against float64 central differences.

Every parameter of a small copy of the network is nudged by ±h and the loss re-evaluated;
dropout masks are drawn from the same seed on every evaluation, so they hold still. The loss
includes the spec's L2 penalty, so the check covers what training differentiates. Biases
start at small random values rather than zero: with zero biases a unit whose inputs are all
zero sits exactly on ReLU's kink, where no finite difference agrees with any derivative.
"""

import copy
from typing import Any

import numpy as np

from descent.engine.losses import LOSSES, ONE, ONE_PER_CLASS
from descent.engine.model import build_model

STEP = 1e-5


def check_gradients(
    spec: dict[str, Any], *, n_inputs: int, n_outputs: int, n_samples: int = 8, seed: int = 0
) -> list[dict[str, Any]]:
    """Return, per parameter, the largest absolute and relative gradient errors.

    Each entry is `{"parameter": "layers[0].W", "max_abs_error", "max_rel_error"}`; the
    relative error is taken against the parameter's largest gradient entry, so that entries
    near zero do not turn rounding noise into huge ratios. `n_outputs` is the number of
    classes for `cross_entropy`, else the width of the targets.
    """
    spec = copy.deepcopy(dict(spec))
    spec["dtype"] = "float64"
    model = build_model(spec, n_inputs, seed)
    rng = np.random.default_rng(seed)
    for bias in model.parameters()[1::2]:
        bias[...] = rng.normal(scale=0.1, size=bias.shape)
    X = rng.normal(size=(n_samples, n_inputs))
    y = _targets(spec["loss"], rng, n_samples, n_outputs)
    l2 = float(spec.get("l2") or 0.0)
    has_dropout = any(layer.get("dropout", 0.0) > 0 for layer in spec["layers"])

    def loss_and_grads() -> tuple[float, list[np.ndarray]]:
        masks = np.random.default_rng(seed + 1) if has_dropout else None
        loss, grads = model.loss_and_gradients(X, y, rng=masks)
        if l2:
            loss += model.penalty(l2)
            grads = [
                g + l2 * p if p.ndim == 2 else g
                for p, g in zip(model.parameters(), grads, strict=True)
            ]
        return loss, grads

    with np.errstate(all="ignore"):
        _, analytic = loss_and_grads()
        return [
            _compare(_name(index), parameter, gradient, lambda: loss_and_grads()[0])
            for index, (parameter, gradient) in enumerate(
                zip(model.parameters(), analytic, strict=True)
            )
        ]


def numeric_gradient(parameter: np.ndarray, loss: Any) -> np.ndarray:
    """Return dLoss/dparameter by central differences, nudging `parameter` in place."""
    numeric = np.zeros_like(parameter)
    flat, out = parameter.reshape(-1), numeric.reshape(-1)
    for i in range(flat.size):
        original = flat[i]
        flat[i] = original + STEP
        above = loss()
        flat[i] = original - STEP
        below = loss()
        flat[i] = original
        out[i] = (above - below) / (2 * STEP)
    return numeric


def _compare(name: str, parameter: np.ndarray, analytic: np.ndarray, loss: Any) -> dict[str, Any]:
    """Return the error record of one parameter."""
    numeric = numeric_gradient(parameter, loss)
    error = float(np.max(np.abs(analytic - numeric)))
    scale = max(float(np.max(np.abs(analytic))), float(np.max(np.abs(numeric))))
    return {
        "parameter": name,
        "max_abs_error": error,
        "max_rel_error": error / scale if scale > 0 else error,
    }


def _name(index: int) -> str:
    """Return the display name of the `index`-th entry of `parameters()`."""
    return f"layers[{index // 2}].{'Wb'[index % 2]}"


def _targets(loss: str, rng: np.random.Generator, n: int, n_outputs: int) -> np.ndarray:
    """Return random labels of the kind `loss` reads."""
    units = LOSSES[loss].output_units
    if units == ONE_PER_CLASS:
        return rng.integers(0, n_outputs, size=n)
    if units == ONE:
        return rng.integers(0, 2, size=n)
    return rng.normal(size=(n, n_outputs))
