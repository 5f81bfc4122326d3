"""Properties of the spec: any document parses or raises SpecError, and what parses trains."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from descent.engine.datasets import Dataset
from descent.engine.spec import (
    ACTIVATIONS,
    INITIALIZERS,
    LOSSES,
    OPTIMIZERS,
    SCHEDULES,
    SpecError,
    parse_spec,
    to_dict,
    validate_for_data,
)
from descent.engine.training import train

JUNK = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 10**12)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=6),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=8,
)
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
        assert error.errors
        assert all(isinstance(path, str) for path in error.errors)
        assert all(messages and all(isinstance(m, str) and m for m in messages)
                   for messages in error.errors.values())
        return
    assert parse_spec(to_dict(spec)) == spec


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
