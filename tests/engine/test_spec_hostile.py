"""Hostile specs: every value is an error at its path with bounded work, never another
exception; and the functions that take parse_spec output refuse anything else."""

import copy
import json
import math

import pytest

from descent.engine.spec import (
    parse_spec,
    spec_hash,
    to_dict,
    validate_for_data,
)
from tests.engine.spec_samples import CONTRACT_EXAMPLE, errors_of, minimal

# --- hostile input: every value is an error at its path, never another exception ----------


def nested(depth, leaf=0):
    """Return a list nested `depth` deep (deeper than Python's recursion limit if asked)."""
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


def set_at(raw, path, value):
    """Set the field at a dotted/indexed path such as `layers[0].dropout` in `raw`."""
    target = raw
    parts = path.replace("[", ".").replace("]", "").split(".")
    for part in parts[:-1]:
        target = target[int(part)] if part.isdigit() else target.setdefault(part, {})
    target[parts[-1]] = value
    return raw


# Each numeric field, in a spec where it is in use (the optimizer or schedule that takes it).
NUMERIC_FIELDS = {
    "l2": {},
    "optimizer.learning_rate": {},
    "optimizer.momentum": {"optimizer": {"name": "momentum", "learning_rate": 0.1}},
    "optimizer.beta1": {"optimizer": {"name": "adam", "learning_rate": 0.1}},
    "optimizer.beta2": {"optimizer": {"name": "rmsprop", "learning_rate": 0.1}},
    "optimizer.eps": {"optimizer": {"name": "adagrad", "learning_rate": 0.1}},
    "optimizer.weight_decay": {"optimizer": {"name": "adamw", "learning_rate": 0.1}},
    "layers[0].dropout": {"layers": [{"units": 2, "activation": "relu"},
                                     {"units": 1, "activation": "linear"}]},
    "layers[0].units": {},
    "gradient_clip": {},
    "early_stopping.patience": {"early_stopping": {}},
    "early_stopping.min_delta": {"early_stopping": {}},
    "schedule.gamma": {"schedule": {"name": "step"}},
    "schedule.step_size": {"schedule": {"name": "step"}},
    "schedule.min_learning_rate": {"schedule": {"name": "cosine"}},
    "schedule.warmup_epochs": {"schedule": {"name": "constant"}},
    "epochs": {},
    "batch_size": {},
    "seed": {},
    "version": {},
}
HOSTILE_VALUES = {
    "int too large for a float": 10**400,
    "negative int too large for a float": -(10**400),
    "5,001-digit int": 10**5000,
    "NaN": math.nan,
    "inf": math.inf,
    "-inf": -math.inf,
    "true": True,
    "false": False,
    "string": "0.1",
    "list": [0.1],
    "object": {"value": 0.1},
    "nested 5,000 deep": nested(5000),
    "object nested deep": {"a": {"b": {"c": {"d": nested(3000)}}}},
    "negative": -1,
}


@pytest.mark.parametrize("path", sorted(NUMERIC_FIELDS))
@pytest.mark.parametrize("kind", sorted(HOSTILE_VALUES))
def test_a_hostile_number_is_a_spec_error_at_its_path_with_a_short_message(path, kind):
    raw = set_at(minimal(**copy.deepcopy(NUMERIC_FIELDS[path])), path, HOSTILE_VALUES[kind])
    errors = errors_of(raw)
    assert path in errors, errors
    assert all(0 < len(message) < 300 for message in errors[path]), errors[path]


def test_a_huge_integer_says_it_is_too_large_without_printing_it():
    message = errors_of(minimal(l2=10**5000))["l2"][0]
    assert "too large" in message and "5,001 digits" in message
    assert len(message) < 200


def test_fractions_decimals_and_numpy_numbers_are_judged_like_json_numbers():
    from decimal import Decimal
    from fractions import Fraction

    import numpy as np

    assert "l2" in errors_of(minimal(l2=Fraction(10**400)))
    assert "l2" in errors_of(minimal(l2=Decimal("0.1")))
    assert "l2" in errors_of(minimal(l2=np.float64("nan")))
    spec = parse_spec(minimal(l2=np.float32(0.5), epochs=np.int64(3)))
    assert (spec["l2"], spec["epochs"]) == (0.5, 3)
    assert type(spec["epochs"]) is int and type(spec["l2"]) is float


def test_a_huge_string_or_key_is_shown_shortened():
    errors = errors_of(minimal(loss="x" * 1_000_000, **{"k" * 1_000_000: 1}))
    assert len(errors["loss"][0]) < 300
    assert all(len(path) < 100 for path in errors)
    assert len(json.dumps(errors)) < 2_000


@pytest.mark.parametrize("where", ["top", "layer", "optimizer", "schedule", "early_stopping"])
def test_twenty_thousand_unknown_keys_get_a_short_answer_for_bounded_work(where, monkeypatch):
    import difflib

    calls = []
    real = difflib.get_close_matches
    monkeypatch.setattr(difflib, "get_close_matches",
                        lambda *args, **kwargs: calls.append(1) or real(*args, **kwargs))
    junk = {f"junk_{i}": i for i in range(20_000)}
    raw = minimal(schedule={"name": "step"}, early_stopping={})
    target = {"top": raw, "layer": raw["layers"][0], "optimizer": raw["optimizer"],
              "schedule": raw["schedule"], "early_stopping": raw["early_stopping"]}[where]
    target.update(junk)
    errors = errors_of(raw)
    messages = [message for group in errors.values() for message in group]
    # The first 20 are named (with a did-you-mean each), the rest counted in one message.
    assert len(messages) == 21
    assert len(calls) <= 20
    summary = errors["spec" if where == "top" else
                     {"layer": "layers[0]"}.get(where, where)][-1]
    assert "19,980 more unknown keys" in summary
    assert len(json.dumps(errors)) < 8_000


def test_unknown_keys_across_objects_share_one_listing_budget():
    raw = minimal(optimizer={"name": "sgd", "learning_rate": 0.1,
                             **{f"o{i}": 0 for i in range(15)}},
                  **{f"t{i}": 0 for i in range(15)})
    errors = errors_of(raw)
    named = [path for path in errors if path not in ("spec", "optimizer")]
    assert len(named) == 20
    counted = " ".join(errors.get("spec", []) + errors.get("optimizer", []))
    assert "more unknown keys" in counted


def test_the_worst_document_still_gets_a_bounded_error():
    # Every field of every one of the 32 layers wrong, plus junk everywhere.
    layer = {"units": 10**400, "activation": "x" * 10_000, "dropout": math.nan,
             "init": nested(3000), **{f"junk{i}": i for i in range(1000)}}
    raw = {**{key: nested(3000) for key in ("version", "init", "loss", "epochs", "batch_size",
                                           "l2", "gradient_clip", "seed", "dtype")},
           "layers": [layer] * 32, "optimizer": {"name": "adam", "learning_rate": 10**400,
                                                 **{f"o{i}": i for i in range(1000)}},
           "schedule": {"name": "step", "gamma": math.inf, "step_size": -(10**400)},
           "early_stopping": {"patience": math.nan, "min_delta": "x" * 10_000},
           **{f"top{i}": i for i in range(1000)}}
    errors = errors_of(raw)
    assert len(json.dumps(errors, ensure_ascii=False).encode()) < 64_000


def test_a_spec_over_the_width_or_depth_ceilings_is_refused_before_any_work():
    errors = errors_of(minimal(layers=[{"units": 10**9, "activation": "relu"}] * 2))
    assert "between 1 and 4096" in errors["layers[0].units"][0]
    errors = errors_of(minimal(layers=[{"units": 1, "activation": "relu"}] * 100_000))
    assert errors == {"layers": ["Too many layers: 100,000; use at most 32"]}


# --- parsing once: the functions that take parse_spec output --------------------------------


def test_a_submission_can_parse_the_spec_once(monkeypatch):
    from descent.engine import budget, spec

    calls = []
    real = spec.parse_spec
    monkeypatch.setattr(spec, "parse_spec", lambda raw: calls.append(1) or real(raw))
    monkeypatch.setattr(budget, "parse_spec", spec.parse_spec)
    normalised = spec.validate_for_data(CONTRACT_EXAMPLE, task="multiclass", n_inputs=2,
                                        n_outputs=3, n_classes=3, dataset_name="spirals")
    estimate = budget.estimate_budget(normalised, n_inputs=2, n_train=360, parsed=True)
    digest = spec.spec_hash(normalised, parsed=True)
    assert len(calls) == 1
    assert estimate == budget.estimate_budget(CONTRACT_EXAMPLE, n_inputs=2, n_train=360)
    assert digest == spec_hash(CONTRACT_EXAMPLE)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda s: s["layers"][0].update(units=10**9),
        lambda s: s["layers"][0].update(units="4096"),
        lambda s: s["layers"][0].update(units=32.0),
        lambda s: s["layers"].extend([dict(s["layers"][0])] * 40),
        lambda s: s.update(epochs=True),
        lambda s: s.update(batch_size=None),
        lambda s: s["optimizer"].update(name="adamax"),
        lambda s: s.pop("dtype"),
        lambda s: s.update(extra=1),
    ],
)
def test_parsed_true_refuses_what_parse_spec_never_returns(tamper):
    from descent.engine.budget import estimate_budget

    tampered = to_dict(parse_spec(CONTRACT_EXAMPLE))
    tamper(tampered)
    with pytest.raises(ValueError, match="not a parsed spec"):
        estimate_budget(tampered, n_inputs=2, n_train=360, parsed=True)
    with pytest.raises(ValueError, match="not a parsed spec"):
        validate_for_data(tampered, task="multiclass", n_inputs=2, n_outputs=3, n_classes=3,
                          parsed=True)
    with pytest.raises(ValueError, match="not a parsed spec"):
        spec_hash(tampered, parsed=True)


def test_a_raw_document_is_not_mistaken_for_a_parsed_one():
    from descent.engine.budget import estimate_budget

    with pytest.raises(ValueError, match="not a parsed spec"):
        estimate_budget(CONTRACT_EXAMPLE, n_inputs=2, n_train=360, parsed=True)
