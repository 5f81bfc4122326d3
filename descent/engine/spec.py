"""The model spec (CONTRACT.md §1): parse, validate, normalise, hash.

This is the one place that decides whether a spec is acceptable. The API, the forum, the
worker and the CLI all call `parse_spec`, so a spec means the same thing everywhere. Every
problem is collected (not just the first) into `SpecError.errors`, keyed by the field's path
(`layers[2].units`, `optimizer.learning_rate`) with a message that echoes the bad value and
says how to fix it.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import math
import numbers
from collections.abc import Mapping
from typing import Any

SPEC_VERSION = 1

ACTIVATIONS = ("linear", "relu", "leaky_relu", "elu", "gelu", "sigmoid", "tanh", "softmax")
INITIALIZERS = ("glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "zeros")
LOSSES = ("mse", "mae", "huber", "binary_cross_entropy", "cross_entropy")
REGRESSION_LOSSES = ("mse", "mae", "huber")
DTYPES = ("float32", "float64")

# Each optimizer accepts exactly these keys besides "name"; the values are the defaults
# (learning_rate has none: it is required).
OPTIMIZERS: dict[str, dict[str, float]] = {
    "gd": {},
    "sgd": {},
    "momentum": {"momentum": 0.9},
    "nesterov": {"momentum": 0.9},
    "adagrad": {"eps": 1e-10},
    "rmsprop": {"beta2": 0.99, "eps": 1e-8},
    "adam": {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
    "adamw": {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.01},
}

SCHEDULES: dict[str, dict[str, float | int]] = {
    "constant": {},
    "step": {"step_size": 10, "gamma": 0.5},
    "exponential": {"gamma": 0.95},
    "cosine": {"min_learning_rate": 0.0},
}

DEFAULT_INIT = "glorot_uniform"
DEFAULT_EPOCHS = 100
DEFAULT_BATCH_SIZE = 32
DEFAULT_PATIENCE = 10

# Hard ceilings that hold even outside a challenge (the CLI, the lab), so that no spec can
# make a worker allocate gigabytes; challenges set their own, tighter budgets on top.
MAX_LAYERS = 32
MAX_UNITS = 4096
MAX_EPOCHS = 10_000
MAX_BATCH_SIZE = 1_000_000
MAX_SEED = 2**32 - 1

TOP_LEVEL_KEYS = (
    "version",
    "layers",
    "init",
    "loss",
    "optimizer",
    "schedule",
    "epochs",
    "batch_size",
    "l2",
    "gradient_clip",
    "early_stopping",
    "seed",
    "dtype",
)
LAYER_KEYS = ("units", "activation", "dropout", "init")
EARLY_STOPPING_KEYS = ("patience", "min_delta")

# Names people bring from other libraries that difflib cannot match by spelling.
ALIASES = {
    "lr": "learning_rate",
    "learningrate": "learning_rate",
    "neurons": "units",
    "n_units": "units",
    "size": "units",
    "act": "activation",
    "optimiser": "optimizer",
    "optim": "optimizer",
    "scheduler": "schedule",
    "lr_schedule": "schedule",
    "n_epochs": "epochs",
    "num_epochs": "epochs",
    "weight_decay": "l2",
    "clip": "gradient_clip",
    "clip_norm": "gradient_clip",
    "kernel_initializer": "init",
    "initializer": "init",
    "decay": "gamma",
    "random_state": "seed",
}


class SpecError(Exception):
    """A spec that cannot be trained; `.errors` maps field paths to fix-it messages."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        self.errors: dict[str, list[str]] = {path: list(msgs) for path, msgs in errors.items()}
        super().__init__(self._summary())

    def __reduce__(self) -> tuple[type, tuple[dict[str, list[str]]]]:
        # Rebuild from the errors, not the summary, so the error survives pickling (Celery).
        return (type(self), (self.errors,))

    def _summary(self) -> str:
        lines = [f"{path or 'spec'}: {message}" for path, msgs in self.errors.items()
                 for message in msgs]
        return "invalid spec: " + "; ".join(lines)


class _Errors:
    """Collect messages per path so one pass reports every problem."""

    def __init__(self) -> None:
        self.by_path: dict[str, list[str]] = {}

    def add(self, path: str, message: str) -> None:
        self.by_path.setdefault(path, []).append(message)

    def __bool__(self) -> bool:
        return bool(self.by_path)

    def raise_if_any(self) -> None:
        if self.by_path:
            raise SpecError(self.by_path)


# --- helpers ------------------------------------------------------------------------------


def _show(value: Any) -> str:
    """Render a value as the user wrote it (JSON), short enough for a message."""
    try:
        text = json.dumps(value, allow_nan=True)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _described(value: Any) -> str:
    """Show a value plus its JSON type where the text alone could mislead ("1" vs 1)."""
    if isinstance(value, bool):
        kind = "a boolean"
    elif isinstance(value, str):
        kind = "a string"
    elif isinstance(value, Mapping):
        kind = "an object"
    elif isinstance(value, list | tuple):
        kind = "a list"
    elif value is None or isinstance(value, numbers.Number):
        return _show(value)
    else:
        kind = type(value).__name__
    return f"{_show(value)} ({kind})"


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _suggest(word: str, choices: tuple[str, ...] | list[str]) -> str:
    """Return " did you mean 'x'?" for a near miss (by spelling, case or known alias)."""
    lowered = word.lower()
    if lowered in choices and lowered != word:
        return f" Did you mean '{lowered}'?"
    if ALIASES.get(lowered) in choices:
        return f" Did you mean '{ALIASES[lowered]}'?"
    close = difflib.get_close_matches(lowered, list(choices), n=1, cutoff=0.6)
    return f" Did you mean '{close[0]}'?" if close else ""


def _object(
    errors: _Errors, path: str, value: Any, allowed: tuple[str, ...], example: str
) -> dict[str, Any] | None:
    """Check that `value` is an object with only `allowed` keys; report the rest."""
    if not isinstance(value, Mapping):
        errors.add(path or "spec", f"Invalid {path or 'spec'}: {_described(value)}; "
                                   f"use an object, e.g. {example}")
        return None
    for key in value:
        if key not in allowed:
            name = str(key)
            errors.add(
                _join(path, name),
                f"Unknown key '{name}'{' in ' + path if path else ''}.{_suggest(name, allowed)} "
                f"Accepted keys: {', '.join(allowed)}",
            )
    return dict(value)


def _integer(
    errors: _Errors,
    path: str,
    value: Any,
    *,
    label: str,
    minimum: int,
    maximum: int | None = None,
    example: int,
) -> int | None:
    bounds = f"≥ {minimum}" if maximum is None else f"between {minimum} and {maximum}"
    hint = f"use a whole number {bounds}, e.g. {example}"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        errors.add(path, f"Invalid {label}: {_described(value)}; {hint}")
        return None
    number = int(value)
    if number < minimum or (maximum is not None and number > maximum):
        errors.add(path, f"Invalid {label}: {number}; {hint}")
        return None
    return number


def _number(
    errors: _Errors,
    path: str,
    value: Any,
    *,
    label: str,
    rule: str,
    example: float,
    ok: Any,
) -> float | None:
    """Check a finite real number (bool excluded) against the predicate `ok`."""
    hint = f"use a number {rule}, e.g. {example}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        errors.add(path, f"Invalid {label}: {_described(value)}; {hint}")
        return None
    number = float(value)
    if not math.isfinite(number):
        errors.add(path, f"Invalid {label}: {number}; it must be finite, {hint}")
        return None
    if not ok(number):
        errors.add(path, f"Invalid {label}: {_show(value)}; {hint}")
        return None
    return number


def _choice(
    errors: _Errors, path: str, value: Any, *, label: str, choices: tuple[str, ...]
) -> str | None:
    options = ", ".join(choices)
    if not isinstance(value, str):
        errors.add(path, f"Invalid {label}: {_described(value)}; "
                         f"use one of: {options}")
        return None
    if value not in choices:
        errors.add(path, f"Unknown {label}: '{value}'.{_suggest(value, choices)} "
                         f"Use one of: {options}")
        return None
    return value


def _required(errors: _Errors, path: str, what: str) -> None:
    parent, _, key = path.rpartition(".")
    errors.add(path, f"Missing {what}; add \"{key}\" to {parent or 'the spec'}")


# --- the sections -------------------------------------------------------------------------


def _parse_layers(errors: _Errors, raw: Any, init: str | None) -> list[dict[str, Any]] | None:
    example = '[{"units": 16, "activation": "relu"}, {"units": 1, "activation": "linear"}]'
    if not isinstance(raw, list | tuple):
        errors.add("layers", f"Invalid layers: {_described(raw)}; "
                             f"use a list of layers, e.g. {example}")
        return None
    if not raw:
        errors.add("layers", f"Invalid layers: []; add at least one layer, e.g. {example}")
        return None
    if len(raw) > MAX_LAYERS:
        errors.add("layers", f"Too many layers: {len(raw)}; use at most {MAX_LAYERS}")
        return None
    layers: list[dict[str, Any]] = []
    complete = True
    last = len(raw) - 1
    for index, item in enumerate(raw):
        path = f"layers[{index}]"
        obj = _object(errors, path, item, LAYER_KEYS, '{"units": 16, "activation": "relu"}')
        if obj is None:
            complete = False
            continue
        layer: dict[str, Any] = {}
        if "units" in obj:
            layer["units"] = _integer(errors, f"{path}.units", obj["units"], label="units",
                                      minimum=1, maximum=MAX_UNITS, example=16)
        else:
            _required(errors, f"{path}.units", "units (the layer's width, e.g. 16)")
            layer["units"] = None
        if "activation" in obj:
            activation = _choice(errors, f"{path}.activation", obj["activation"],
                                 label="activation", choices=ACTIVATIONS)
            if activation == "softmax" and index != last:
                errors.add(f"{path}.activation",
                           "softmax is only allowed on the last layer (it turns the outputs "
                           "into class probabilities); use relu, tanh or another activation "
                           "on hidden layers")
            layer["activation"] = activation
        else:
            _required(errors, f"{path}.activation",
                      f"activation (one of: {', '.join(ACTIVATIONS)})")
            layer["activation"] = None
        dropout = obj.get("dropout", 0.0)
        layer["dropout"] = _number(errors, f"{path}.dropout", dropout, label="dropout",
                                   rule="with 0 ≤ p < 1", example=0.1,
                                   ok=lambda p: 0.0 <= p < 1.0)
        if index == last and layer["dropout"]:
            errors.add(f"{path}.dropout",
                       f"Invalid dropout on the output layer: {_show(dropout)}; dropout "
                       "applies to a layer's outputs and would drop predictions, so put it "
                       "on a hidden layer (or set 0)")
        if "init" in obj:
            layer["init"] = _choice(errors, f"{path}.init", obj["init"], label="init",
                                    choices=INITIALIZERS)
        else:
            layer["init"] = init
        complete = complete and all(v is not None for v in layer.values())
        layers.append(layer)
    return layers if complete else None


def _parse_optimizer(errors: _Errors, raw: Any) -> dict[str, Any] | None:
    example = '{"name": "adam", "learning_rate": 0.01}'
    if not isinstance(raw, Mapping):
        errors.add("optimizer", f"Invalid optimizer: {_described(raw)}; "
                                f"use an object, e.g. {example}")
        return None
    if "name" not in raw:
        _required(errors, "optimizer.name", f"optimizer name (one of: {', '.join(OPTIMIZERS)})")
        name = None
    else:
        name = _choice(errors, "optimizer.name", raw["name"], label="optimizer",
                       choices=tuple(OPTIMIZERS))
    defaults = OPTIMIZERS.get(name, {}) if name else {}
    if name is not None:
        accepted = ("name", "learning_rate", *defaults)
        for key in raw:
            if key in accepted:
                continue
            owners = [other for other, keys in OPTIMIZERS.items() if key in keys]
            where = f" ('{key}' belongs to {', '.join(owners)})." if owners else \
                "." + _suggest(str(key), accepted)
            errors.add(f"optimizer.{key}",
                       f"Unknown key '{key}' for optimizer '{name}'{where} "
                       f"Accepted keys: {', '.join(accepted)}")
    optimizer: dict[str, Any] = {"name": name}
    if "learning_rate" in raw:
        optimizer["learning_rate"] = _number(
            errors, "optimizer.learning_rate", raw["learning_rate"], label="learning rate",
            rule="> 0", example=0.01, ok=lambda v: v > 0)
    else:
        _required(errors, "optimizer.learning_rate", "learning rate (a number > 0, e.g. 0.01)")
        optimizer["learning_rate"] = None
    rules = {
        "momentum": ("momentum", "with 0 ≤ momentum < 1", 0.9, lambda v: 0.0 <= v < 1.0),
        "beta1": ("beta1", "with 0 ≤ beta1 < 1", 0.9, lambda v: 0.0 <= v < 1.0),
        "beta2": ("beta2", "with 0 ≤ beta2 < 1", 0.999, lambda v: 0.0 <= v < 1.0),
        "eps": ("eps", "with 0 < eps ≤ 1", 1e-8, lambda v: 0.0 < v <= 1.0),
        "weight_decay": ("weight decay", "≥ 0", 0.01, lambda v: v >= 0.0),
    }
    for key, default in defaults.items():
        label, rule, example_value, ok = rules[key]
        optimizer[key] = _number(errors, f"optimizer.{key}", raw.get(key, default),
                                 label=label, rule=rule, example=example_value, ok=ok)
    if any(v is None for v in optimizer.values()):
        return None
    return optimizer


def _parse_schedule(errors: _Errors, raw: Any, epochs: int | None,
                    learning_rate: float | None) -> dict[str, Any] | None:
    example = '{"name": "constant"}'
    if not isinstance(raw, Mapping):
        errors.add("schedule", f"Invalid schedule: {_described(raw)}; "
                               f"use an object, e.g. {example}")
        return None
    if "name" not in raw:
        _required(errors, "schedule.name", f"schedule name (one of: {', '.join(SCHEDULES)})")
        return None
    name = _choice(errors, "schedule.name", raw["name"], label="schedule",
                   choices=tuple(SCHEDULES))
    if name is None:
        return None
    defaults = SCHEDULES[name]
    _object(errors, "schedule", raw, ("name", *defaults, "warmup_epochs"), example)
    schedule: dict[str, Any] = {"name": name}
    if "step_size" in defaults:
        schedule["step_size"] = _integer(errors, "schedule.step_size",
                                         raw.get("step_size", defaults["step_size"]),
                                         label="step size", minimum=1, example=10)
    if "gamma" in defaults:
        schedule["gamma"] = _number(errors, "schedule.gamma", raw.get("gamma", defaults["gamma"]),
                                    label="gamma", rule="with 0 < gamma ≤ 1 (it shrinks the "
                                    "learning rate)", example=0.5, ok=lambda g: 0.0 < g <= 1.0)
    if "min_learning_rate" in defaults:
        minimum = _number(errors, "schedule.min_learning_rate",
                          raw.get("min_learning_rate", defaults["min_learning_rate"]),
                          label="minimum learning rate", rule="≥ 0", example=0.0,
                          ok=lambda v: v >= 0.0)
        if minimum is not None and learning_rate is not None and minimum > learning_rate:
            errors.add("schedule.min_learning_rate",
                       f"Invalid minimum learning rate: {minimum}; it is above the optimizer's "
                       f"learning rate {learning_rate}, so use a value ≤ {learning_rate}")
            minimum = None
        schedule["min_learning_rate"] = minimum
    warmup = _integer(errors, "schedule.warmup_epochs", raw.get("warmup_epochs", 0),
                      label="warmup epochs", minimum=0, example=5)
    if warmup is not None and epochs is not None and warmup >= epochs:
        errors.add("schedule.warmup_epochs",
                   f"Invalid warmup epochs: {warmup}; the run has {epochs} epochs, so use "
                   f"fewer than {epochs} warmup epochs")
        warmup = None
    schedule["warmup_epochs"] = warmup
    if any(v is None for v in schedule.values()):
        return None
    return schedule


def _parse_batch_size(errors: _Errors, raw: Any, full_batch: bool) -> int | str | None:
    if raw == "full" and isinstance(raw, str):
        return "full"
    hint = f'use a whole number between 1 and {MAX_BATCH_SIZE}, e.g. 32, or "full"'
    if isinstance(raw, bool) or not isinstance(raw, numbers.Integral):
        errors.add("batch_size", f"Invalid batch size: {_described(raw)}; {hint}")
        return None
    if not 1 <= raw <= MAX_BATCH_SIZE:
        errors.add("batch_size", f"Invalid batch size: {raw}; {hint}")
        return None
    if full_batch:
        errors.add("batch_size", f"Invalid batch size for optimizer 'gd': {raw}; gd is "
                                 'full-batch gradient descent, so use "full" (or choose sgd '
                                 "for mini-batches)")
        return None
    return int(raw)


def _parse_early_stopping(errors: _Errors, raw: Any) -> dict[str, Any] | None:
    obj = _object(errors, "early_stopping", raw, EARLY_STOPPING_KEYS,
                  '{"patience": 10, "min_delta": 0.0} (or null to train every epoch)')
    if obj is None:
        return None
    patience = _integer(errors, "early_stopping.patience", obj.get("patience", DEFAULT_PATIENCE),
                        label="patience", minimum=1, example=10)
    min_delta = _number(errors, "early_stopping.min_delta", obj.get("min_delta", 0.0),
                        label="min_delta", rule="≥ 0", example=0.001, ok=lambda v: v >= 0.0)
    if patience is None or min_delta is None:
        return None
    return {"patience": patience, "min_delta": min_delta}


def _check_output_layer(errors: _Errors, layers: list[dict[str, Any]], loss: str) -> None:
    """Apply the spec-level loss/last-layer rules (no data needed)."""
    index = len(layers) - 1
    last = layers[index]
    path = f"layers[{index}]"
    activation, units = last["activation"], last["units"]
    if loss == "cross_entropy":
        if activation != "softmax":
            errors.add(f"{path}.activation",
                       f"loss 'cross_entropy' needs a softmax last layer; got '{activation}'. "
                       "Set the last layer's activation to \"softmax\"")
        if units < 2:
            errors.add(f"{path}.units",
                       f"loss 'cross_entropy' needs one unit per class (at least 2); got "
                       f"{units}. For two classes use 2 softmax units, or "
                       "binary_cross_entropy with 1 sigmoid unit")
    elif loss == "binary_cross_entropy":
        if activation != "sigmoid":
            errors.add(f"{path}.activation",
                       f"loss 'binary_cross_entropy' needs a sigmoid last layer; got "
                       f"'{activation}'. Set the last layer's activation to \"sigmoid\"")
        if units != 1:
            errors.add(f"{path}.units",
                       f"loss 'binary_cross_entropy' needs 1 sigmoid unit in the last layer; "
                       f"got {units}. For several classes use cross_entropy with softmax")
    elif activation == "softmax":
        errors.add("loss", f"a softmax last layer needs loss 'cross_entropy'; got '{loss}'. "
                           "Use cross_entropy, or another last-layer activation")


# --- public -------------------------------------------------------------------------------


def parse_spec(raw: Any) -> dict[str, Any]:
    """Validate a spec document and return it normalised, with every default filled in.

    Raises `SpecError` listing every problem found, keyed by field path. The result is a
    plain JSON-safe dict; `parse_spec(result) == result`.
    """
    errors = _Errors()
    obj = _object(errors, "", raw, TOP_LEVEL_KEYS,
                  '{"layers": [...], "loss": "mse", "optimizer": {...}}')
    if obj is None:
        raise SpecError({"spec": errors.by_path.pop("spec")})

    version = obj.get("version", SPEC_VERSION)
    if isinstance(version, bool) or not isinstance(version, int) or version != SPEC_VERSION:
        errors.add("version", f"Unsupported spec version: {_described(version)}; this engine reads "
                              f"version {SPEC_VERSION}, so set \"version\": {SPEC_VERSION}")

    init = _choice(errors, "init", obj.get("init", DEFAULT_INIT), label="init",
                   choices=INITIALIZERS)
    # A bad top-level init is reported once, at "init", not again on every layer.
    layers = None
    if "layers" in obj:
        layers = _parse_layers(errors, obj["layers"], init or DEFAULT_INIT)
    else:
        _required(errors, "layers", 'layers, e.g. [{"units": 1, "activation": "linear"}]')

    loss = None
    if "loss" in obj:
        loss = _choice(errors, "loss", obj["loss"], label="loss", choices=LOSSES)
    else:
        _required(errors, "loss", f"loss (one of: {', '.join(LOSSES)})")

    epochs = _integer(errors, "epochs", obj.get("epochs", DEFAULT_EPOCHS), label="epochs",
                      minimum=1, maximum=MAX_EPOCHS, example=100)

    optimizer = None
    if "optimizer" in obj:
        optimizer = _parse_optimizer(errors, obj["optimizer"])
    else:
        _required(errors, "optimizer", 'optimizer, e.g. {"name": "adam", "learning_rate": 0.01}')
    learning_rate = optimizer["learning_rate"] if optimizer else None

    schedule = _parse_schedule(errors, obj.get("schedule", {"name": "constant"}), epochs,
                               learning_rate)

    full_batch = optimizer is not None and optimizer["name"] == "gd"
    batch_size = _parse_batch_size(
        errors, obj.get("batch_size", "full" if full_batch else DEFAULT_BATCH_SIZE), full_batch)

    l2 = _number(errors, "l2", obj.get("l2", 0.0), label="l2", rule="≥ 0", example=0.0001,
                 ok=lambda v: v >= 0.0)
    gradient_clip = obj.get("gradient_clip")
    if gradient_clip is not None:
        gradient_clip = _number(errors, "gradient_clip", gradient_clip, label="gradient clip",
                                rule="> 0 (a max global L2 norm), or null", example=1.0,
                                ok=lambda v: v > 0.0)
    early_stopping = obj.get("early_stopping")
    if early_stopping is not None:
        early_stopping = _parse_early_stopping(errors, early_stopping)
    seed = _integer(errors, "seed", obj.get("seed", 0), label="seed", minimum=0,
                    maximum=MAX_SEED, example=42)
    dtype = _choice(errors, "dtype", obj.get("dtype", "float32"), label="dtype", choices=DTYPES)

    if layers and loss:
        _check_output_layer(errors, layers, loss)
    errors.raise_if_any()
    return {
        "version": SPEC_VERSION,
        "layers": layers,
        "init": init,
        "loss": loss,
        "optimizer": optimizer,
        "schedule": schedule,
        "epochs": epochs,
        "batch_size": batch_size,
        "l2": l2,
        "gradient_clip": gradient_clip,
        "early_stopping": early_stopping,
        "seed": seed,
        "dtype": dtype,
    }


def to_dict(spec: Mapping[str, Any]) -> dict[str, Any]:
    """Return a deep copy of a normalised spec, safe to store, mutate or serialise."""
    return copy.deepcopy(dict(spec))


def spec_hash(spec: Mapping[str, Any]) -> str:
    """Return the sha256 hex digest of the normalised spec's canonical JSON.

    Two documents that normalise to the same spec (e.g. a default written out or left
    implicit, 1 versus 1.0 for a learning rate) share a hash.
    """
    canonical = json.dumps(parse_spec(spec), sort_keys=True, separators=(",", ":"),
                           ensure_ascii=True, allow_nan=False)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


TASKS = ("regression", "binary", "multiclass")


def validate_for_data(
    spec: Mapping[str, Any],
    *,
    task: str,
    n_inputs: int,
    n_outputs: int,
    n_classes: int | None = None,
    dataset_name: str = "",
    kind: str = "dataset",
) -> dict[str, Any]:
    """Check that a spec fits a data set's task and shape; return the normalised spec.

    `kind` names the thing in messages ("dataset" for the CLI, "challenge" for the API), so
    a mismatch reads `{"layers[2].units": ["dataset 'spirals' has 3 classes; the last layer
    has 2 units"]}`. Spec-level problems raise first, as from `parse_spec`.
    """
    if task not in TASKS:
        raise ValueError(f"Invalid task: {task!r}; use one of: {', '.join(TASKS)}")
    if n_inputs < 1 or n_outputs < 1:
        raise ValueError(f"Invalid data shape: n_inputs={n_inputs}, n_outputs={n_outputs}")
    if task != "regression" and (n_classes is None or n_classes < 2):
        raise ValueError(f"Invalid n_classes for a {task} task: {n_classes}")
    normalised = parse_spec(spec)
    errors = _Errors()
    subject = f"{kind} '{dataset_name}'" if dataset_name else f"the {kind}"
    index = len(normalised["layers"]) - 1
    units_path = f"layers[{index}].units"
    units = normalised["layers"][index]["units"]
    loss = normalised["loss"]

    if task == "regression":
        if loss not in REGRESSION_LOSSES:
            errors.add("loss", f"{subject} is a regression task; use mse, mae or huber")
        elif units != n_outputs:
            targets = "target" if n_outputs == 1 else "targets"
            errors.add(units_path, f"{subject} has {n_outputs} {targets}; the last layer has "
                                   f"{units} units. Use {n_outputs}")
    elif task == "binary":
        if loss == "binary_cross_entropy":
            pass  # parse_spec already required exactly one sigmoid unit
        elif loss == "cross_entropy":
            if units != n_classes:
                errors.add(units_path, f"{subject} has {n_classes} classes; the last layer has "
                                       f"{units} units. Use {n_classes}")
        else:
            errors.add("loss", f"{subject} is a binary classification task; use "
                               "binary_cross_entropy (1 sigmoid unit) or cross_entropy "
                               "(2 softmax units)")
    else:
        if loss != "cross_entropy":
            errors.add("loss", f"{subject} is a multiclass task with {n_classes} classes; use "
                               f"cross_entropy with a softmax last layer of {n_classes} units")
        elif units != n_classes:
            errors.add(units_path, f"{subject} has {n_classes} classes; the last layer has "
                                   f"{units} units. Use {n_classes}")
    errors.raise_if_any()
    return normalised
