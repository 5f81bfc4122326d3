"""Properties of the spec: any document parses or raises SpecError, and what parses trains.

The adversarial strategies are issue 13's: huge widths and depth, deep nesting, NaN/inf,
negative numbers, integers too large for a float, wrong types and unknown keys, anywhere.
Whatever the document, `parse_spec` returns a spec that `build_model` accepts or raises a
`SpecError` whose keys are field paths and whose body stays small; nothing else escapes.
(CI runs these derandomized: see the "ci" profile in tests/conftest.py.)

A little over 400 lines: most of it is the strategies, which the submit endpoint's property
tests (tests/security/test_submit_properties.py) import too.
"""

import copy
import json
import math
import re
from collections.abc import Mapping

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from descent.engine.budget import estimate_budget
from descent.engine.datasets import Dataset
from descent.engine.fields import key_text
from descent.engine.model import build_model
from descent.engine.optimizers import OPTIMIZERS as OPTIMIZER_TABLE
from descent.engine.schedules import SCHEDULES as SCHEDULE_TABLE
from descent.engine.spec import (
    ACTIVATIONS,
    INITIALIZERS,
    LOSSES,
    OPTIMIZERS,
    SCHEDULES,
    SpecError,
    parse_spec,
    require_parsed,
    to_dict,
    validate_for_data,
)
from descent.engine.training import train


def nested(depth, leaf=0):
    """Return a list nested `depth` deep."""
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


# Values that no numeric field accepts.
INVALID_NUMBERS = st.one_of(
    # Powers of ten past a float's range (the 5,001-digit case, whose repr Python refuses,
    # is in test_spec.py: hypothesis must be able to print a failing example).
    st.sampled_from([309, 400, 4000]).map(lambda exponent: 10**exponent),
    st.just(-(10**309)),
    st.integers(min_value=2**1024, max_value=2**1100),
    st.sampled_from([math.nan, math.inf, -math.inf]),
    st.booleans(),
    st.text(max_size=12).filter(lambda text: text != "full"),
    st.lists(st.integers(0, 3), max_size=3),
    st.dictionaries(st.text(max_size=6), st.integers(0, 3), max_size=3),
    st.integers(50, 3000).map(nested),
)
# Values some numeric fields accept and others refuse (negative, zero, null, tiny, big).
EDGE_NUMBERS = st.one_of(
    st.none(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0, 0.0, -0.0, 1, 1.0, 5e-324, 1.7976931348623157e308, -1]),
    st.integers(2**32, 2**80),  # a fine float, but past every whole-number ceiling
)
HOSTILE = INVALID_NUMBERS | EDGE_NUMBERS

JUNK = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 10**12)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=6) | INVALID_NUMBERS,
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=8,
)

FIELD_PATH = re.compile(
    r"(spec|version|init|loss|epochs|batch_size|l2|gradient_clip|seed|dtype|layers"
    r"|layers\[(\d+)\](\..+)?|optimizer(\..+)?|schedule(\..+)?|early_stopping(\..+)?)",
    re.DOTALL,
)
# An error body stays this small whatever the document (issue 13: "bound the error body").
MAX_ERROR_BYTES = 64_000


def assert_is_a_field_error(error, document):
    """Assert `error.errors` names field paths of `document`, each with short messages."""
    assert error.errors
    top_keys = {key_text(key) for key in document} if isinstance(document, Mapping) else set()
    layers = document.get("layers") if isinstance(document, Mapping) else None
    for path, messages in error.errors.items():
        assert isinstance(path, str) and len(path) < 120, path
        match = FIELD_PATH.fullmatch(path)
        assert match or path in top_keys, path
        if match and match.group(2) is not None:
            assert isinstance(layers, list | tuple) and int(match.group(2)) < len(layers), path
        assert messages and all(isinstance(m, str) and 0 < len(m) < 400 for m in messages)
    assert len(json.dumps(error.errors, ensure_ascii=False).encode()) < MAX_ERROR_BYTES


def assert_builds(spec):
    """Assert a parsed spec is one the engine can build and cost."""
    figures = estimate_budget(spec, n_inputs=3, n_train=50)
    assert figures == estimate_budget(spec, n_inputs=3, n_train=50, parsed=True)
    assert parse_spec(to_dict(spec)) == spec
    json.dumps(spec, allow_nan=False)
    if figures.parameters <= 200_000:  # wider ones are valid but cost real memory to build
        model = build_model(spec, 3, seed=0)
        assert model.n_parameters == figures.parameters
OPTIMIZER_KEYS = sorted({key for keys in OPTIMIZERS.values() for key in keys})
SCHEDULE_KEYS = ["step_size", "gamma", "min_learning_rate", "warmup_epochs"]


def maybe_junk(valid):
    """Mostly `valid`, sometimes anything at all."""
    return st.one_of(valid, valid, valid, JUNK)


def with_optional_keys(required, optional):
    """A dict strategy with `required` keys always and each `optional` key sometimes."""
    return st.fixed_dictionaries(required, optional=optional)


layer = with_optional_keys(
    {"units": maybe_junk(st.integers(1, 5)),
     "activation": maybe_junk(st.sampled_from(ACTIVATIONS))},
    {"dropout": maybe_junk(st.sampled_from([0, 0.0, 0.2, 0.5])),
     "init": maybe_junk(st.sampled_from(INITIALIZERS)),
     "unit": JUNK},
)
optimizer = with_optional_keys(
    {"name": maybe_junk(st.sampled_from(sorted(OPTIMIZERS))),
     "learning_rate": maybe_junk(st.floats(1e-4, 1.0))},
    {key: maybe_junk(st.floats(0.0, 0.999)) for key in OPTIMIZER_KEYS},
)
schedule = with_optional_keys(
    {"name": maybe_junk(st.sampled_from(sorted(SCHEDULES)))},
    {"step_size": maybe_junk(st.integers(1, 3)), "gamma": maybe_junk(st.floats(0.1, 1.0)),
     "min_learning_rate": maybe_junk(st.floats(0.0, 1e-4)),
     "warmup_epochs": maybe_junk(st.just(0))},
)
HIDDEN_ACTIVATIONS = [a for a in ACTIVATIONS if a != "softmax"]
OPTIMIZER_VALUES = {
    "momentum": st.floats(0.0, 0.99),
    "beta1": st.floats(0.0, 0.99),
    "beta2": st.floats(0.0, 0.999),
    "eps": st.floats(1e-10, 1e-3),
    "weight_decay": st.floats(0.0, 0.1),
}
SCHEDULE_VALUES = {
    "step_size": st.integers(1, 3),
    "gamma": st.floats(0.1, 1.0),
    "min_learning_rate": st.floats(0.0, 1e-4),
}


@st.composite
def trainable_specs(draw):
    """Specs valid by construction, small enough to train one epoch in milliseconds."""
    loss = draw(st.sampled_from(LOSSES))
    hidden = draw(st.lists(with_optional_keys(
        {"units": st.integers(1, 5), "activation": st.sampled_from(HIDDEN_ACTIVATIONS)},
        {"dropout": st.sampled_from([0, 0.2, 0.5]), "init": st.sampled_from(INITIALIZERS)},
    ), max_size=2))
    if loss == "cross_entropy":
        last = {"units": draw(st.integers(2, 4)), "activation": "softmax"}
    elif loss == "binary_cross_entropy":
        last = {"units": 1, "activation": "sigmoid"}
    else:
        last = {"units": draw(st.integers(1, 3)),
                "activation": draw(st.sampled_from(HIDDEN_ACTIVATIONS))}
    name = draw(st.sampled_from(sorted(OPTIMIZERS)))
    optimizer = draw(with_optional_keys(
        {"name": st.just(name), "learning_rate": st.floats(1e-4, 1.0)},
        {key: OPTIMIZER_VALUES[key] for key in OPTIMIZERS[name]},
    ))
    schedule_name = draw(st.sampled_from(sorted(SCHEDULES)))
    schedule = draw(with_optional_keys(
        {"name": st.just(schedule_name)},
        {key: SCHEDULE_VALUES[key] for key in SCHEDULES[schedule_name]},
    ))
    batch_sizes = ["full"] if name == "gd" else [1, 4, 7, "full"]
    return draw(with_optional_keys(
        {"layers": st.just([*hidden, last]), "loss": st.just(loss),
         "optimizer": st.just(optimizer), "epochs": st.just(1)},
        {"version": st.just(1), "init": st.sampled_from(INITIALIZERS),
         "schedule": st.just(schedule), "batch_size": st.sampled_from(batch_sizes),
         "l2": st.sampled_from([0.0, 1e-3]), "gradient_clip": st.sampled_from([None, 1.0]),
         "early_stopping": st.sampled_from([None, {"patience": 1}]),
         "seed": st.integers(0, 2**32 - 1), "dtype": st.sampled_from(["float32", "float64"])},
    ))


@settings(max_examples=200, deadline=None)
@given(trainable_specs())
def test_valid_documents_parse_and_round_trip(document):
    spec = parse_spec(document)
    assert parse_spec(to_dict(spec)) == spec


@st.composite
def corrupted_specs(draw):
    """A valid spec with one field, top-level or nested, replaced by junk."""
    document = draw(trainable_specs())
    where = draw(st.sampled_from(["top", "layer", "optimizer"]))
    if where == "top":
        document[draw(st.sampled_from(sorted(document)))] = draw(JUNK)
    elif where == "layer":
        layer = draw(st.sampled_from(document["layers"]))
        layer[draw(st.sampled_from(["units", "activation", "dropout", "init", "x"]))] = draw(JUNK)
    else:
        document["optimizer"][draw(st.sampled_from(["name", "learning_rate", *OPTIMIZER_KEYS]))] \
            = draw(JUNK)
    return document


spec_like = st.one_of(
    JUNK,
    trainable_specs(),
    corrupted_specs(),
    with_optional_keys(
        {"layers": maybe_junk(st.lists(maybe_junk(layer), min_size=1, max_size=3)),
         "loss": maybe_junk(st.sampled_from(LOSSES)),
         "optimizer": maybe_junk(optimizer)},
        {"version": maybe_junk(st.just(1)), "init": maybe_junk(st.sampled_from(INITIALIZERS)),
         "schedule": maybe_junk(schedule), "epochs": maybe_junk(st.just(1)),
         "batch_size": maybe_junk(st.sampled_from([1, 4, 7, "full"])),
         "l2": maybe_junk(st.sampled_from([0.0, 1e-3])),
         "gradient_clip": maybe_junk(st.sampled_from([None, 1.0])),
         "early_stopping": maybe_junk(st.sampled_from([None, {"patience": 1}])),
         "seed": maybe_junk(st.integers(0, 2**32 - 1)),
         "dtype": maybe_junk(st.sampled_from(["float32", "float64"])),
         "extra": JUNK},
    ),
)


@settings(max_examples=400, deadline=None)
@given(spec_like)
def test_any_document_parses_or_raises_spec_error(document):
    try:
        spec = parse_spec(document)
    except SpecError as error:
        assert_is_a_field_error(error, document)
        return
    assert_builds(spec)


def numeric_paths(document):
    """Return the numeric fields in use in a valid document, as (path, setter) pairs."""
    def top(key):
        return key, lambda doc, value: doc.__setitem__(key, value)

    def inside(section, key):
        return (f"{section}.{key}",
                lambda doc, value: doc.setdefault(section, {}).__setitem__(key, value))

    def layer(index, key):
        return (f"layers[{index}].{key}",
                lambda doc, value: doc["layers"][index].__setitem__(key, value))

    paths = [top(key) for key in ("l2", "epochs", "batch_size", "seed", "gradient_clip",
                                  "version")]
    paths.append(inside("optimizer", "learning_rate"))
    optimizer = document["optimizer"]["name"]
    paths += [inside("optimizer", key) for key in OPTIMIZER_TABLE[optimizer].hyperparameters]
    schedule = document.get("schedule", {"name": "constant"})["name"]
    paths += [inside("schedule", key)
              for key in (*SCHEDULE_TABLE[schedule].hyperparameters, "warmup_epochs")]
    if isinstance(document.get("early_stopping"), dict):
        paths += [inside("early_stopping", key) for key in ("patience", "min_delta")]
    last = len(document["layers"]) - 1
    paths += [layer(index, "units") for index in range(last + 1)]
    paths += [layer(index, "dropout") for index in range(last)]
    return paths


@st.composite
def hostile_specs(draw):
    """A valid spec with one numeric field set to a hostile value; (document, path, invalid)."""
    document = copy.deepcopy(draw(trainable_specs()))
    path, put = draw(st.sampled_from(numeric_paths(document)))
    invalid = draw(st.booleans())
    value = draw(INVALID_NUMBERS if invalid else EDGE_NUMBERS)
    if "schedule" not in document and path.startswith("schedule."):
        document["schedule"] = {"name": "constant"}
    put(document, value)
    return document, path, invalid


@settings(max_examples=400, deadline=None)
@given(hostile_specs())
def test_a_hostile_number_anywhere_is_an_error_at_that_field_or_a_valid_spec(case):
    document, path, invalid = case
    try:
        spec = parse_spec(document)
    except SpecError as error:
        assert_is_a_field_error(error, document)
        if invalid:
            assert path in error.errors, (path, error.errors)
        return
    assert not invalid, path
    assert_builds(spec)


@st.composite
def specs_with_unknown_keys(draw):
    """A valid spec with unknown keys (a few odd ones, or thousands) in one of its objects."""
    document = copy.deepcopy(draw(trainable_specs()))
    document.setdefault("schedule", {"name": "constant"})
    places = ["top", "optimizer", "schedule", *range(len(document["layers"]))]
    if isinstance(document.get("early_stopping"), dict):
        places.append("early_stopping")
    place = draw(st.sampled_from(places))
    target = (document if place == "top" else
              document["layers"][place] if isinstance(place, int) else document[place])
    if draw(st.booleans()):
        keys = draw(st.dictionaries(st.text(min_size=1, max_size=80), JUNK, min_size=1,
                                    max_size=40))
    else:
        keys = {f"unknown_{i}": i for i in range(draw(st.integers(1, 30_000)))}
    fresh = {key: value for key, value in keys.items() if key not in target}
    if not fresh:
        fresh = {"\u200bnot-a-key": 1}
    target.update(fresh)
    return document, len(fresh)


@settings(max_examples=150, deadline=None)
@given(specs_with_unknown_keys())
def test_unknown_keys_anywhere_are_refused_with_a_bounded_answer(case):
    document, added = case
    try:
        parse_spec(document)
    except SpecError as error:
        assert_is_a_field_error(error, document)
        messages = sum(len(group) for group in error.errors.values())
        # 20 named, one "and N more" per object, and what else is wrong with a key's value.
        assert messages <= 20 + 3 + len(document["layers"]) + 2
        return
    raise AssertionError(f"{added} unknown keys were accepted")


@st.composite
def oversized_specs(draw):
    """Valid-looking specs that are too wide or too deep, by a little or by far."""
    units = draw(st.one_of(st.integers(4000, 5000), st.integers(10**6, 10**12),
                           st.sampled_from([4096, 4097])))
    depth = draw(st.one_of(st.integers(1, 40), st.sampled_from([32, 33, 10_000])))
    hidden = [{"units": units, "activation": "relu"}] * (depth - 1)
    return {"layers": [*hidden, {"units": 1, "activation": "linear"}], "loss": "mse",
            "optimizer": {"name": "sgd", "learning_rate": 0.1}}


@settings(max_examples=100, deadline=None)
@given(oversized_specs())
def test_huge_widths_and_depths_are_refused_or_costed_never_built_blindly(document):
    try:
        spec = parse_spec(document)
    except SpecError as error:
        assert_is_a_field_error(error, document)
        assert set(error.errors) & {"layers", "layers[0].units"}
        return
    assert len(spec["layers"]) <= 32
    assert all(layer["units"] <= 4096 for layer in spec["layers"])
    assert_builds(spec)

def tiny_dataset(spec, rng):
    """Build a 20-sample data set whose task and width fit the spec's output layer."""
    units = spec["layers"][-1]["units"]
    n_train, n_val, n_test = 12, 4, 4
    n = n_train + n_val + n_test
    X = rng.normal(size=(n, 3)).astype(np.float32)
    if spec["loss"] in ("cross_entropy", "binary_cross_entropy"):
        n_classes = 2 if spec["loss"] == "binary_cross_entropy" else units
        task = "binary" if n_classes == 2 else "multiclass"
        n_outputs = 1 if task == "binary" else n_classes
        y = (np.arange(n) % n_classes).astype(np.int64)
    else:
        task, n_outputs, n_classes = "regression", units, None
        y = rng.normal(size=(n, units)).astype(np.float32)
    cut = [slice(0, n_train), slice(n_train, n_train + n_val), slice(n_train + n_val, n)]
    return Dataset(
        name="tiny", task=task, n_inputs=3, n_outputs=n_outputs, n_classes=n_classes,
        X_train=X[cut[0]], y_train=y[cut[0]], X_val=X[cut[1]], y_val=y[cut[1]],
        X_test=X[cut[2]], y_test=y[cut[2]],
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trainable_specs(), st.integers(0, 2**16))
def test_every_parsed_spec_trains_one_epoch(document, data_seed):
    spec = parse_spec(document)
    data = tiny_dataset(spec, np.random.default_rng(data_seed))
    validate_for_data(spec, task=data.task, n_inputs=data.n_inputs, n_outputs=data.n_outputs,
                      n_classes=data.n_classes, dataset_name=data.name)
    result = train(spec, data)
    assert result.status in ("succeeded", "diverged")
    if result.status == "succeeded":
        assert len(result.history) == 1
    else:
        # A spec may blow up in its very first epoch (learning_rate 1 with momentum on a
        # linear net, say): the history keeps only finite epochs, and the message says why.
        assert len(result.history) <= 1
        assert "learning rate" in result.message


@settings(max_examples=150, deadline=None)
@given(st.one_of(spec_like, trainable_specs().map(parse_spec)))
def test_require_parsed_passes_only_parse_output_and_raises_only_value_error(document):
    try:
        require_parsed(document)
    except ValueError as error:
        assert "not a parsed spec" in str(error)
        return
    assert parse_spec(document) == document
