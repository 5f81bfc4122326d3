"""One real training step, recorded line by line: forward, loss, backward, update.

`trace_step` runs the engine's own code on a tiny batch — `Model.step` (each layer's forward,
the loss, each layer's backward), the training loop's L2 and clipping
(`training.regularise_gradients`) and the spec's optimizer — and copies out every
intermediate array as it goes. It recomputes nothing itself: the activations are wrapped so
that their inputs and outputs are copied on the way through, and the gradients and the
update are read from the model's buffers. So the numbers on the page are the numbers the
engine computed.
"""

import copy
from typing import Any

import numpy as np

from descent.engine.activations import Activation
from descent.engine.model import Model, build_model
from descent.engine.optimizers import make_optimizer
from descent.engine.schedules import learning_rate_at
from descent.engine.serialise import finite_or_none, json_array
from descent.engine.training import regularise_gradients, training_generator

# A trace is for reading on a page: it refuses networks and batches too big to read.
MAX_PARAMETERS = 256
MAX_BATCH = 16
DEFAULT_BATCH = 4

UPDATE_RULES = {
    "gd": "w ← w − α·∇J(w)",
    "sgd": "w ← w − α·∇J(w)",
    "momentum": "v ← μ·v + ∇J(w);  w ← w − α·v",
    "nesterov": "v ← μ·v + ∇J(w);  w ← w − α·(∇J(w) + μ·v)",
    "adagrad": "s ← s + ∇J(w)²;  w ← w − α·∇J(w)/(√s + ε)",
    "rmsprop": "v ← β₂·v + (1 − β₂)·∇J(w)²;  w ← w − α·∇J(w)/(√v + ε)",
    "adam": "m ← β₁·m + (1 − β₁)·∇J(w);  v ← β₂·v + (1 − β₂)·∇J(w)²;  "
    "w ← w − α·m̂/(√v̂ + ε),  m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ)",
    "adamw": "w ← w·(1 − α·λ);  then the adam update",
}


def trace_step(
    spec: dict[str, Any],
    data: Any,
    learning_rate: float | None = None,
    batch: int | tuple[np.ndarray, np.ndarray] = DEFAULT_BATCH,
) -> dict[str, Any]:
    """Return a JSON-ready record of one training step of `spec` on a tiny batch of `data`.

    The model is `build_model(spec, data.n_inputs, seed=spec["seed"])`, as `train` builds it;
    `batch` is a row count (the first rows of the training split) or `(X, y)` arrays;
    `learning_rate` defaults to the spec's rate in epoch 1 (warmup included). Dropout masks
    come from the training generator of the spec's seed.

    Shapes (n = batch rows, layer k maps `in` → `out` units), all as nested lists:
    - `batch`: `X` (n, n_inputs), `y` (n,) class indices or (n, k) values
    - `forward[k]`: `X` (n, in), `W` (in, out), `b` (out,), `Z = X·W + b` (n, out),
      `A = f(Z)` (n, out), `dropout_mask` (n, out) of 0/1 or None, `output` (n, out) what
      the next layer reads (A with dropout applied); a last layer fused with its loss has
      `A = Z` (logits) and the loss applies softmax/sigmoid itself
    - `loss`: `name`, `value` (data loss), `penalty` (L2), `total`, `gradient` dJ/d(output)
      (n, out), `predictions` (n, out) probabilities or values
    - `backward[k]` (last layer first): `dA` (n, out) the gradient arriving at f (after
      dropout), `dZ` (n, out), `dW` (in, out), `db` (out,)
    - `gradient_clip`: `{"limit", "norm", "scaled"}` or None
    - `update`: `rule` (the formula), `learning_rate`, `state` (the optimizer's per-layer state
      after the step, e.g. momentum's `velocity`, adam's `m`, `v`, `t`), and per layer
      `W_before`, `gradient_W` (the gradient stepped with: dW + L2 term, clipped), `W_after`,
      `step_W = W_before − W_after`, and the same for b
    - `loss_after`: the loss on the same batch with the same dropout masks after the step
    """
    model = build_model(spec, data.n_inputs, seed=spec["seed"])
    if model.n_parameters > MAX_PARAMETERS:
        raise ValueError(
            f"trace_step is for tiny networks: this one has {model.n_parameters} parameters; "
            f"use at most {MAX_PARAMETERS}"
        )
    X, y = _batch(data, batch)
    alpha = learning_rate_at(spec, 1) if learning_rate is None else float(learning_rate)
    if not alpha > 0:
        raise ValueError(f"Invalid learning rate: {learning_rate}; use a number > 0, e.g. 0.1")
    X = np.ascontiguousarray(X, dtype=model.dtype)
    targets = model.prepare_targets(y)
    has_dropout = any(layer.dropout is not None for layer in model.layers)
    tapes = [_record_activation(layer) for layer in model.layers]

    def dropout_generator() -> np.random.Generator | None:
        # A fresh generator each time: the step and `loss_after` drop the same units.
        return training_generator(spec["seed"]) if has_dropout else None

    with np.errstate(all="ignore"):
        loss = model.step(X, targets, dropout_generator())
        masks = [
            layer.dropout.mask.copy() if layer.dropped else None for layer in model.layers
        ]
        outputs = [tape["output"] for tape in tapes]
        raw_gradients = [g.copy() for g in model.gradients()]
        predictions = model.to_predictions(tapes[-1]["A"].copy())
        l2 = float(spec.get("l2") or 0.0)
        clip = float(spec["gradient_clip"]) if spec.get("gradient_clip") else None
        penalty_value = model.penalty(l2) if l2 else 0.0
        scratch = np.empty(model.n_weights, model.dtype) if l2 else None
        norm = regularise_gradients(model, l2, clip, scratch)
        used = [g.copy() for g in model.gradients()]
        before = [p.copy() for p in model.parameters()]
        optimizer = make_optimizer(spec["optimizer"], model.n_parameters, model.dtype)
        optimizer.step(model.params, model.grads, alpha)
        after = [p.copy() for p in model.parameters()]
        for layer, tape in zip(model.layers, tapes, strict=True):
            layer.activation = tape["original"]
            del layer.forward  # the instance's wrapper; the class's method again
        loss_after = model.loss_and_gradients(X, y, rng=dropout_generator())[0]
        if l2:
            loss_after += model.penalty(l2)

    forward = []
    for index, (tape, mask) in enumerate(zip(tapes, masks, strict=True)):
        forward.append({
            "layer": index + 1,
            "activation": _activation_name(spec, index, model),
            "X": json_array(tape["X"]),
            "W": json_array(before[2 * index]),
            "b": json_array(before[2 * index + 1]),
            "Z": json_array(tape["Z"]),
            "A": json_array(tape["A"]),
            "dropout_mask": json_array(mask.astype(np.float64)) if mask is not None else None,
            "output": json_array(outputs[index]),
        })
    backward = []
    for index in reversed(range(len(model.layers))):
        tape = tapes[index]
        backward.append({
            "layer": index + 1,
            "dA": json_array(tape["dA"]),
            "dZ": json_array(tape["dZ"]),
            "dW": json_array(raw_gradients[2 * index]),
            "db": json_array(raw_gradients[2 * index + 1]),
        })
    name = spec["optimizer"]["name"]
    update_layers = []
    for index in range(len(model.layers)):
        entry: dict[str, Any] = {"layer": index + 1}
        for offset, key in ((0, "W"), (1, "b")):
            at = 2 * index + offset
            entry[f"{key}_before"] = json_array(before[at])
            entry[f"gradient_{key}"] = json_array(used[at])
            entry[f"step_{key}"] = json_array(before[at] - after[at])
            entry[f"{key}_after"] = json_array(after[at])
        update_layers.append(entry)
    return {
        "spec": copy.deepcopy(spec),
        "dtype": str(model.dtype),
        "batch": {"X": json_array(X), "y": _labels(y)},
        "forward": forward,
        "loss": {
            "name": spec["loss"],
            "fused_with": model.loss.fused_with if model.fused else None,
            "value": finite_or_none(loss),
            "penalty": finite_or_none(penalty_value),
            "total": finite_or_none(loss + penalty_value),
            "gradient": json_array(tapes[-1]["dA"]),
            "predictions": json_array(predictions),
        },
        "backward": backward,
        "gradient_clip": (
            {"limit": clip, "norm": finite_or_none(norm), "scaled": bool(norm > clip)}
            if clip is not None and norm is not None
            else None
        ),
        "update": {
            "optimizer": name,
            "rule": UPDATE_RULES[name],
            "learning_rate": alpha,
            "settings": {k: v for k, v in spec["optimizer"].items() if k != "name"},
            "layers": update_layers,
            "state": _optimizer_state(optimizer, model),
        },
        "loss_after": finite_or_none(loss_after),
    }


def _record_activation(layer: Any) -> dict[str, Any]:
    """Wrap a layer's activation so its input and output, both ways, are copied to a tape.

    Dense.forward calls `activation.forward(Z)` on `X·W + b` (in place) and
    Dense.backward calls `activation.backward(dA, A, Z)`: copying there captures Z, A, dA
    and dZ exactly as the layer computes them.
    """
    original = layer.activation
    tape: dict[str, Any] = {"original": original}
    original_forward = layer.forward

    def forward(Z: np.ndarray) -> np.ndarray:
        tape["Z"] = Z.copy()
        A = original.forward(Z)
        tape["A"] = A.copy()
        return A

    def backward(dA: np.ndarray, A: np.ndarray, Z: np.ndarray | None) -> np.ndarray:
        tape["dA"] = dA.copy()
        dZ = original.backward(dA, A, Z)
        tape["dZ"] = dZ.copy()
        return dZ

    def layer_forward(X: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        tape["X"] = np.array(X, copy=True)
        out = original_forward(X, rng)
        tape["output"] = out.copy()
        return out

    layer.activation = Activation(forward, backward, original.needs_input)
    layer.forward = layer_forward
    return tape


def _batch(data: Any, batch: int | tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, Any]:
    """Return the batch's inputs and labels."""
    if isinstance(batch, tuple):
        X, y = (np.asarray(part) for part in batch)
    else:
        if not (isinstance(batch, int) and 1 <= batch):
            raise ValueError(f"Invalid batch: {batch!r}; use a row count ≥ 1 or (X, y) arrays")
        X, y = np.asarray(data.X_train)[:batch], np.asarray(data.y_train)[:batch]
    if X.ndim != 2 or X.shape[1] != data.n_inputs or len(y) != len(X):
        raise ValueError(
            f"Invalid batch: X {X.shape}, y {y.shape}; need X (n, {data.n_inputs}) and n labels"
        )
    if len(X) > MAX_BATCH:
        raise ValueError(
            f"trace_step is for tiny batches: {len(X)} rows; use at most {MAX_BATCH}"
        )
    return X, y


def _labels(y: np.ndarray) -> Any:
    """Return labels as JSON: ints for class indices, floats for values."""
    y = np.asarray(y)
    return y.astype(int).tolist() if np.issubdtype(y.dtype, np.integer) else json_array(y)


def _activation_name(spec: dict[str, Any], index: int, model: Model) -> str:
    """Return the activation the layer applies in training ("linear" when fused)."""
    name = spec["layers"][index]["activation"]
    is_last = index == len(model.layers) - 1
    return "linear" if is_last and model.fused else name


def _optimizer_state(optimizer: Any, model: Model) -> dict[str, Any]:
    """Return the optimizer's state after the step, per layer, in the formulas' own terms.

    Adam and RMSprop keep their averages divided by (1 − β); they are multiplied back here, so
    `m` and `v` are the textbook (PyTorch) moments.
    """
    arrays: dict[str, np.ndarray] = {}
    if hasattr(optimizer, "velocity"):
        arrays["velocity"] = optimizer.velocity
    if hasattr(optimizer, "sum_of_squares"):
        arrays["s"] = optimizer.sum_of_squares
    if hasattr(optimizer, "scaled_square_average"):
        arrays["v"] = optimizer.scaled_square_average * (1.0 - optimizer.decay)
    if hasattr(optimizer, "scaled_mean"):
        arrays["m"] = optimizer.scaled_mean * (1.0 - optimizer.beta1)
        arrays["v"] = optimizer.scaled_square_mean * (1.0 - optimizer.beta2)
    state: dict[str, Any] = {}
    if hasattr(optimizer, "t"):
        state["t"] = optimizer.t
    if arrays:
        state["layers"] = [
            {
                "layer": index + 1,
                **{
                    f"{name}_{key}": json_array(values[part].reshape(shape))
                    for name, values in arrays.items()
                    for key, part, shape in (
                        ("W", slices[0], layer.W.shape),
                        ("b", slices[1], layer.b.shape),
                    )
                },
            }
            for index, (layer, slices) in enumerate(
                zip(model.layers, model.layer_slices, strict=True)
            )
        ]
    return state
