"""The model spec (CONTRACT.md §1): parse, validate, normalise, hash.

This is the one place that decides whether a spec is acceptable. The API, the forum, the
worker and the CLI all call `parse_spec`, so a spec means the same thing everywhere. Every
problem is collected (not just the first) into `SpecError.errors`, keyed by the field's path
(`layers[2].units`, `optimizer.learning_rate`) with a message that echoes the bad value and
says how to fix it.

The names a spec may use, the hyperparameters each optimizer and schedule takes with their
ranges and defaults, and the loss/last-layer/task rules are not written here: they are read
from the tables that implement them (`activations.ACTIVATIONS`, `initializers.INITIALIZERS`,
`losses.LOSSES`, `optimizers.OPTIMIZERS`, `schedules.SCHEDULES`, `model.DTYPES`).

Whatever the input (any JSON, or any Python value), parsing either returns a spec or raises
`SpecError`: a huge integer, NaN, a bool, a deeply nested or enormous value is reported at
its path with bounded work, and the error stays small (values and keys are shown shortened,
and at most `fields.MAX_UNKNOWN_KEYS_SHOWN` unknown keys are listed, the rest counted). The
checks of one value and the shortened rendering of bad values are in `fields.py`.

Over 400 lines, on purpose: it is the whole spec, section by section (layers, optimizer,
schedule, batch size, early stopping, the last-layer rules, the data rules), and reads as one.
"""

from __future__ import annotations

import copy
import hashlib
import json
import numbers
from collections.abc import Mapping
from typing import Any

from descent.engine import activations, initializers, losses, model, optimizers, schedules
from descent.engine.fields import (
    Errors,
    SpecError,
    check_choice,
    check_object,
    check_real,
    check_value,
    check_whole,
    described,
    or_join,
    report_missing,
    show,
    suggest,
)
from descent.engine.hyperparameters import MAX_EPOCHS, Real, Whole
from descent.engine.tasks import REGRESSION, TASKS, describe_task

SPEC_VERSION = 1

# Names, for callers that want them; the tables above are their one source.
ACTIVATIONS = tuple(activations.ACTIVATIONS)
INITIALIZERS = tuple(initializers.INITIALIZERS)
LOSSES = tuple(losses.LOSSES)
REGRESSION_LOSSES = tuple(name for name, loss in losses.LOSSES.items() if REGRESSION in loss.tasks)
DTYPES = tuple(model.DTYPES)
# name -> defaults of the keys it takes besides name and learning_rate (derived).
OPTIMIZERS: dict[str, dict[str, float]] = {
    name: info.defaults() for name, info in optimizers.OPTIMIZERS.items()
}
SCHEDULES: dict[str, dict[str, float | int]] = {
    name: schedule.defaults() for name, schedule in schedules.SCHEDULES.items()
}

DEFAULT_INIT = "glorot_uniform"
DEFAULT_DTYPE = "float32"
DEFAULT_SCHEDULE = "constant"
DEFAULT_EPOCHS = 100
DEFAULT_BATCH_SIZE = 32
DEFAULT_PATIENCE = 10

# Hard ceilings that hold even outside a challenge (the CLI, the lab), so that no spec can
# make a worker allocate gigabytes; challenges set their own, tighter budgets on top.
MAX_LAYERS = 32
MAX_UNITS = 4096
MAX_BATCH_SIZE = 1_000_000
MAX_SEED = 2**32 - 1

# The spec's own numbers (the optimizers' and schedules' are in their tables).
UNITS = Whole(label="units", example=16, minimum=1, maximum=MAX_UNITS)
EPOCHS = Whole(label="epochs", example=100, minimum=1, maximum=MAX_EPOCHS,
               default=DEFAULT_EPOCHS)
BATCH_SIZE = Whole(label="batch size", example=32, minimum=1, maximum=MAX_BATCH_SIZE,
                   default=DEFAULT_BATCH_SIZE)
SEED = Whole(label="seed", example=42, minimum=0, maximum=MAX_SEED, default=0)
PATIENCE = Whole(label="patience", example=10, minimum=1, maximum=MAX_EPOCHS,
                 default=DEFAULT_PATIENCE)
DROPOUT = Real(label="dropout", example=0.1, default=0.0, minimum=0.0, maximum=1.0,
               exclusive_maximum=True, symbol="p")
L2 = Real(label="l2", example=0.0001, default=0.0, minimum=0.0)
GRADIENT_CLIP = Real(label="gradient clip", example=1.0, minimum=0.0, exclusive_minimum=True,
                     note="(a max global L2 norm), or null")
MIN_DELTA = Real(label="min_delta", example=0.001, default=0.0, minimum=0.0)

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

# --- the sections -------------------------------------------------------------------------


def _parse_layers(errors: Errors, raw: Any, init: str | None) -> list[dict[str, Any]] | None:
    example = '[{"units": 16, "activation": "relu"}, {"units": 1, "activation": "linear"}]'
    if not isinstance(raw, list | tuple):
        errors.add("layers", f"Invalid layers: {described(raw)}; "
                             f"use a list of layers, e.g. {example}")
        return None
    if not raw:
        errors.add("layers", f"Invalid layers: []; add at least one layer, e.g. {example}")
        return None
    if len(raw) > MAX_LAYERS:
        errors.add("layers", f"Too many layers: {len(raw):,}; use at most {MAX_LAYERS}")
        return None
    names = tuple(activations.ACTIVATIONS)
    layers: list[dict[str, Any]] = []
    complete = True
    last = len(raw) - 1
    for index, item in enumerate(raw):
        path = f"layers[{index}]"
        obj = check_object(errors, path, item, LAYER_KEYS, '{"units": 16, "activation": "relu"}')
        if obj is None:
            complete = False
            continue
        layer: dict[str, Any] = {}
        if "units" in obj:
            layer["units"] = check_whole(errors, f"{path}.units", obj["units"], UNITS)
        else:
            report_missing(errors, f"{path}.units", "units (the layer's width, e.g. 16)")
            layer["units"] = None
        if "activation" in obj:
            activation = check_choice(errors, f"{path}.activation", obj["activation"],
                                      label="activation", choices=names)
            if activation and activations.ACTIVATIONS[activation].output_only and index != last:
                hidden = [n for n in names if not activations.ACTIVATIONS[n].output_only]
                errors.add(f"{path}.activation",
                           f"{activation} is only allowed on the last layer (it turns the "
                           f"outputs into class probabilities); on hidden layers use one of: "
                           f"{', '.join(hidden)}")
            layer["activation"] = activation
        else:
            report_missing(errors, f"{path}.activation",
                           f"activation (one of: {', '.join(names)})")
            layer["activation"] = None
        dropout = obj.get("dropout", DROPOUT.default)
        layer["dropout"] = check_real(errors, f"{path}.dropout", dropout, DROPOUT)
        if index == last and layer["dropout"]:
            errors.add(f"{path}.dropout",
                       f"Invalid dropout on the output layer: {show(dropout)}; dropout "
                       "applies to a layer's outputs and would drop predictions, so put it "
                       "on a hidden layer (or set 0)")
        if "init" in obj:
            layer["init"] = check_choice(errors, f"{path}.init", obj["init"], label="init",
                                         choices=tuple(initializers.INITIALIZERS))
        else:
            layer["init"] = init
        complete = complete and all(v is not None for v in layer.values())
        layers.append(layer)
    return layers if complete else None


def _parse_optimizer(errors: Errors, raw: Any) -> dict[str, Any] | None:
    example = '{"name": "adam", "learning_rate": 0.01}'
    table = optimizers.OPTIMIZERS
    if not isinstance(raw, Mapping):
        errors.add("optimizer", f"Invalid optimizer: {described(raw)}; "
                                f"use an object, e.g. {example}")
        return None
    if "name" not in raw:
        report_missing(errors, "optimizer.name", f"optimizer name (one of: {', '.join(table)})")
        name = None
    else:
        name = check_choice(errors, "optimizer.name", raw["name"], label="optimizer",
                            choices=tuple(table))
    hyperparameters = table[name].hyperparameters if name else {}
    if name is not None:
        accepted = ("name", "learning_rate", *hyperparameters)
        known = frozenset(accepted)

        def unknown(key: Any, shown: str) -> str:
            owners = [other for other, info in table.items() if key in info.hyperparameters]
            where = (f" ('{shown}' belongs to {', '.join(owners)})." if owners
                     else "." + suggest(shown, accepted))
            return (f"Unknown key '{shown}' for optimizer '{name}'{where} "
                    f"Accepted keys: {', '.join(accepted)}")

        errors.unknown_keys("optimizer", (key for key in raw if key not in known), unknown)
    optimizer: dict[str, Any] = {"name": name}
    if "learning_rate" in raw:
        optimizer["learning_rate"] = check_real(errors, "optimizer.learning_rate",
                                                raw["learning_rate"], optimizers.LEARNING_RATE)
    else:
        rule = optimizers.LEARNING_RATE
        report_missing(errors, "optimizer.learning_rate",
                       f"learning rate (a number {rule.rule()}, e.g. {rule.example})")
        optimizer["learning_rate"] = None
    for key, rule in hyperparameters.items():
        optimizer[key] = check_real(errors, f"optimizer.{key}", raw.get(key, rule.default), rule)
    if any(v is None for v in optimizer.values()):
        return None
    return optimizer


def _parse_schedule(errors: Errors, raw: Any, epochs: int | None,
                    learning_rate: float | None) -> dict[str, Any] | None:
    example = '{"name": "constant"}'
    table = schedules.SCHEDULES
    if not isinstance(raw, Mapping):
        errors.add("schedule", f"Invalid schedule: {described(raw)}; "
                               f"use an object, e.g. {example}")
        return None
    if "name" not in raw:
        report_missing(errors, "schedule.name", f"schedule name (one of: {', '.join(table)})")
        return None
    name = check_choice(errors, "schedule.name", raw["name"], label="schedule",
                        choices=tuple(table))
    if name is None:
        return None
    hyperparameters = table[name].hyperparameters
    check_object(errors, "schedule", raw, ("name", *hyperparameters, "warmup_epochs"), example)
    schedule: dict[str, Any] = {"name": name}
    for key, rule in hyperparameters.items():
        schedule[key] = check_value(errors, f"schedule.{key}", raw.get(key, rule.default), rule)
    minimum = schedule.get("min_learning_rate")
    if minimum is not None and learning_rate is not None and minimum > learning_rate:
        errors.add("schedule.min_learning_rate",
                   f"Invalid minimum learning rate: {minimum}; it is above the optimizer's "
                   f"learning rate {learning_rate}, so use a value ≤ {learning_rate}")
        schedule["min_learning_rate"] = None
    warmup_rule = schedules.WARMUP_EPOCHS
    warmup = check_whole(errors, "schedule.warmup_epochs",
                         raw.get("warmup_epochs", warmup_rule.default), warmup_rule)
    if warmup is not None and epochs is not None and warmup >= epochs:
        errors.add("schedule.warmup_epochs",
                   f"Invalid warmup epochs: {warmup}; the run has {epochs} epochs, so use "
                   f"fewer than {epochs} warmup epochs")
        warmup = None
    schedule["warmup_epochs"] = warmup
    if any(v is None for v in schedule.values()):
        return None
    return schedule


def _parse_batch_size(errors: Errors, raw: Any, optimizer: str | None) -> int | str | None:
    # isinstance first: `raw == "full"` on an array-like would compare element-wise.
    if isinstance(raw, str) and raw == "full":
        return "full"
    hint = f'use a whole number {BATCH_SIZE.rule()}, e.g. {BATCH_SIZE.example}, or "full"'
    if isinstance(raw, bool) or not isinstance(raw, numbers.Integral):
        errors.add("batch_size", f"Invalid batch size: {described(raw)}; {hint}")
        return None
    if not BATCH_SIZE.contains(int(raw)):
        errors.add("batch_size", f"Invalid batch size: {show(raw)}; {hint}")
        return None
    if optimizer is not None and optimizers.OPTIMIZERS[optimizer].full_batch:
        update = optimizers.OPTIMIZERS[optimizer].update
        batched = [name for name, info in optimizers.OPTIMIZERS.items()
                   if info.update is update and not info.full_batch]
        instead = f" (or choose {or_join(batched)} for mini-batches)" if batched else ""
        errors.add("batch_size", f"Invalid batch size for optimizer '{optimizer}': {raw}; "
                                 f"{optimizer} is full-batch gradient descent, so use "
                                 f'"full"{instead}')
        return None
    return int(raw)


def _parse_early_stopping(errors: Errors, raw: Any) -> dict[str, Any] | None:
    obj = check_object(errors, "early_stopping", raw, EARLY_STOPPING_KEYS,
                       '{"patience": 10, "min_delta": 0.0} (or null to train every epoch)')
    if obj is None:
        return None
    patience = check_whole(errors, "early_stopping.patience",
                           obj.get("patience", PATIENCE.default), PATIENCE)
    min_delta = check_real(errors, "early_stopping.min_delta",
                           obj.get("min_delta", MIN_DELTA.default), MIN_DELTA)
    if patience is None or min_delta is None:
        return None
    return {"patience": patience, "min_delta": min_delta}


def _units_phrase(count: int, activation: str) -> str:
    return f"{count} {activation} unit{'s' if count != 1 else ''}"


def _check_output_layer(errors: Errors, layers: list[dict[str, Any]], loss: str) -> None:
    """Apply the spec-level loss/last-layer rules of `losses.LOSSES` (no data needed)."""
    index = len(layers) - 1
    last = layers[index]
    path = f"layers[{index}]"
    activation, units = last["activation"], last["units"]
    rule = losses.LOSSES[loss]
    fused = rule.fused_with
    if fused is not None and activation != fused:
        errors.add(f"{path}.activation",
                   f"loss '{loss}' needs a {fused} last layer; got '{activation}'. "
                   f"Set the last layer's activation to \"{fused}\"")
    if rule.output_units == losses.ONE_PER_CLASS and units < 2:
        others = [f"{name} with {_units_phrase(1, other.fused_with or 'output')}"
                  for name, other in losses.LOSSES.items() if other.output_units == losses.ONE]
        alternative = f", or {or_join(others)}" if others else ""
        errors.add(f"{path}.units",
                   f"loss '{loss}' needs one unit per class (at least 2); got {units}. For "
                   f"two classes use {_units_phrase(2, fused or 'output')}{alternative}")
    elif rule.output_units == losses.ONE and units != 1:
        others = [f"{name} with {other.fused_with}" if other.fused_with else name
                  for name, other in losses.LOSSES.items()
                  if other.output_units == losses.ONE_PER_CLASS]
        instead = f". For several classes use {or_join(others)}" if others else ""
        errors.add(f"{path}.units",
                   f"loss '{loss}' needs {_units_phrase(1, fused or 'output')} in the last "
                   f"layer; got {units}{instead}")
    if fused is None and activations.ACTIVATIONS[activation].output_only:
        fitting = [name for name, other in losses.LOSSES.items() if other.fused_with == activation]
        errors.add("loss", f"a {activation} last layer needs loss "
                           f"{or_join([repr(name) for name in fitting])}; got '{loss}'. Use "
                           f"{or_join(fitting)}, or another last-layer activation")


# --- public -------------------------------------------------------------------------------


def parse_spec(raw: Any) -> dict[str, Any]:
    """Validate a spec document and return it normalised, with every default filled in.

    Raises `SpecError` listing every problem found, keyed by field path. The result is a
    plain JSON-safe dict; `parse_spec(result) == result`.
    """
    errors = Errors()
    obj = check_object(errors, "", raw, TOP_LEVEL_KEYS,
                       '{"layers": [...], "loss": "mse", "optimizer": {...}}')
    if obj is None:
        raise SpecError({"spec": errors.by_path.pop("spec")})

    version = obj.get("version", SPEC_VERSION)
    if isinstance(version, bool) or not isinstance(version, int) or version != SPEC_VERSION:
        errors.add("version", f"Unsupported spec version: {described(version)}; this engine "
                              f"reads version {SPEC_VERSION}, so set \"version\": {SPEC_VERSION}")

    init = check_choice(errors, "init", obj.get("init", DEFAULT_INIT), label="init",
                        choices=tuple(initializers.INITIALIZERS))
    # A bad top-level init is reported once, at "init", not again on every layer.
    layers = None
    if "layers" in obj:
        layers = _parse_layers(errors, obj["layers"], init or DEFAULT_INIT)
    else:
        report_missing(errors, "layers", 'layers, e.g. [{"units": 1, "activation": "linear"}]')

    loss = None
    if "loss" in obj:
        loss = check_choice(errors, "loss", obj["loss"], label="loss",
                            choices=tuple(losses.LOSSES))
    else:
        report_missing(errors, "loss", f"loss (one of: {', '.join(losses.LOSSES)})")

    epochs = check_whole(errors, "epochs", obj.get("epochs", EPOCHS.default), EPOCHS)

    optimizer = None
    if "optimizer" in obj:
        optimizer = _parse_optimizer(errors, obj["optimizer"])
    else:
        report_missing(errors, "optimizer",
                       'optimizer, e.g. {"name": "adam", "learning_rate": 0.01}')
    learning_rate = optimizer["learning_rate"] if optimizer else None

    schedule = _parse_schedule(errors, obj.get("schedule", {"name": DEFAULT_SCHEDULE}), epochs,
                               learning_rate)

    optimizer_name = optimizer["name"] if optimizer else None
    full_batch = optimizer_name is not None and optimizers.OPTIMIZERS[optimizer_name].full_batch
    batch_size = _parse_batch_size(
        errors, obj.get("batch_size", "full" if full_batch else BATCH_SIZE.default), optimizer_name)

    l2 = check_real(errors, "l2", obj.get("l2", L2.default), L2)
    gradient_clip = obj.get("gradient_clip")
    if gradient_clip is not None:
        gradient_clip = check_real(errors, "gradient_clip", gradient_clip, GRADIENT_CLIP)
    early_stopping = obj.get("early_stopping")
    if early_stopping is not None:
        early_stopping = _parse_early_stopping(errors, early_stopping)
    seed = check_whole(errors, "seed", obj.get("seed", SEED.default), SEED)
    dtype = check_choice(errors, "dtype", obj.get("dtype", DEFAULT_DTYPE), label="dtype",
                         choices=tuple(model.DTYPES))

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


def require_parsed(spec: Any) -> None:
    """Raise `ValueError` unless `spec` has the shape and types of `parse_spec` output.

    The functions that take `parsed=True` call it, so that a raw document passed by mistake
    fails loudly (a bug) instead of skipping validation: the fields a budget or a data check
    reads (widths, depth, dropout, names, epochs, batch size, dtype) are checked, in
    O(layers) time, without building messages.
    """
    def fail(what: str) -> None:
        raise ValueError(f"not a parsed spec ({what}); pass the output of parse_spec, or "
                         "parsed=False to parse it")

    def named(value: Any, table: Mapping[str, Any]) -> bool:
        return isinstance(value, str) and value in table

    if not isinstance(spec, Mapping) or set(spec) != set(TOP_LEVEL_KEYS):
        fail("its keys are not those of a normalised spec")
    if type(spec["version"]) is not int or spec["version"] != SPEC_VERSION:
        fail("version")
    layers = spec["layers"]
    if type(layers) is not list or not 1 <= len(layers) <= MAX_LAYERS:
        fail("layers")
    for layer in layers:
        if not isinstance(layer, Mapping) or set(layer) != set(LAYER_KEYS):
            fail("a layer's keys")
        units, dropout = layer["units"], layer["dropout"]
        if type(units) is not int or not UNITS.contains(units):
            fail("a layer's units")
        if type(dropout) is not float or not DROPOUT.contains(dropout):
            fail("a layer's dropout")
        if not named(layer["activation"], activations.ACTIVATIONS) or \
                not named(layer["init"], initializers.INITIALIZERS):
            fail("a layer's activation or init")
    optimizer = spec["optimizer"]
    if not isinstance(optimizer, Mapping) or not named(optimizer.get("name"),
                                                       optimizers.OPTIMIZERS):
        fail("optimizer")
    if not named(spec["loss"], losses.LOSSES) or not named(spec["dtype"], model.DTYPES):
        fail("loss or dtype")
    if type(spec["epochs"]) is not int or not EPOCHS.contains(spec["epochs"]):
        fail("epochs")
    batch_size = spec["batch_size"]
    if not (isinstance(batch_size, str) and batch_size == "full") and (
            type(batch_size) is not int or not BATCH_SIZE.contains(batch_size)):
        fail("batch_size")


def to_dict(spec: Mapping[str, Any]) -> dict[str, Any]:
    """Return a deep copy of a normalised spec, safe to store, mutate or serialise."""
    return copy.deepcopy(dict(spec))


def spec_hash(spec: Mapping[str, Any], *, parsed: bool = False) -> str:
    """Return the sha256 hex digest of the normalised spec's canonical JSON.

    Two documents that normalise to the same spec (e.g. a default written out or left
    implicit, 1 versus 1.0 for a learning rate) share a hash. `parsed=True` says `spec` is
    already `parse_spec` output, so it is not parsed again (see `require_parsed`).
    """
    if parsed:
        require_parsed(spec)
    else:
        spec = parse_spec(spec)
    canonical = json.dumps(spec, sort_keys=True, separators=(",", ":"),
                           ensure_ascii=True, allow_nan=False)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def validate_for_data(
    spec: Mapping[str, Any],
    *,
    task: str,
    n_inputs: int,
    n_outputs: int,
    n_classes: int | None = None,
    dataset_name: str = "",
    kind: str = "dataset",
    parsed: bool = False,
) -> dict[str, Any]:
    """Check that a spec fits a data set's task and shape; return the normalised spec.

    `kind` names the thing in messages ("dataset" for the CLI, "challenge" for the API), so
    a mismatch reads `{"layers[2].units": ["dataset 'spirals' has 3 classes; the last layer
    has 2 units"]}`. Spec-level problems raise first, as from `parse_spec`; with
    `parsed=True`, `spec` is already `parse_spec` output and is not parsed again (as
    scikit-learn's `check_input=False`), so a submission parses once. Which losses fit which
    task, and how wide the last layer must be, come from `losses.LOSSES`.
    """
    if task not in TASKS:
        raise ValueError(f"Invalid task: {task!r}; use one of: {', '.join(TASKS)}")
    if n_inputs < 1 or n_outputs < 1:
        raise ValueError(f"Invalid data shape: n_inputs={n_inputs}, n_outputs={n_outputs}")
    if task != REGRESSION and (n_classes is None or n_classes < 2):
        raise ValueError(f"Invalid n_classes for a {task} task: {n_classes}")
    if parsed:
        require_parsed(spec)
        normalised = dict(spec)
    else:
        normalised = parse_spec(spec)
    errors = Errors()
    subject = f"{kind} '{dataset_name}'" if dataset_name else f"the {kind}"
    index = len(normalised["layers"]) - 1
    units_path = f"layers[{index}].units"
    units = normalised["layers"][index]["units"]
    loss = normalised["loss"]
    rule = losses.LOSSES[loss]

    if task not in rule.tasks:
        fitting = []
        for name, other in losses.LOSSES.items():
            if task not in other.tasks:
                continue
            if other.fused_with is None:
                fitting.append(name)
            else:
                width = 1 if other.output_units == losses.ONE else n_classes or 2
                fitting.append(f"{name} ({_units_phrase(width, other.fused_with)})")
        errors.add("loss", f"{subject} is {describe_task(task, n_classes)}; use "
                           f"{or_join(fitting)}")
    elif rule.output_units == losses.ONE_PER_TARGET and units != n_outputs:
        targets = "target" if n_outputs == 1 else "targets"
        errors.add(units_path, f"{subject} has {n_outputs} {targets}; the last layer has "
                               f"{units} units. Use {n_outputs}")
    elif rule.output_units == losses.ONE_PER_CLASS and units != n_classes:
        errors.add(units_path, f"{subject} has {n_classes} classes; the last layer has "
                               f"{units} units. Use {n_classes}")
    # ONE: parse_spec already required exactly one unit.
    errors.raise_if_any()
    return normalised
