"""The model spec: what parse_spec accepts, how it normalises, and every error it names."""

import copy
import json
import math

import pytest

from descent.engine.spec import (
    ACTIVATIONS,
    INITIALIZERS,
    MAX_UNITS,
    OPTIMIZERS,
    SCHEDULES,
    SpecError,
    parse_spec,
    spec_hash,
    to_dict,
    validate_for_data,
)

CONTRACT_EXAMPLE = {
    "version": 1,
    "layers": [
        {"units": 32, "activation": "relu"},
        {"units": 32, "activation": "tanh", "dropout": 0.1},
        {"units": 3, "activation": "softmax"},
    ],
    "init": "he_normal",
    "loss": "cross_entropy",
    "optimizer": {"name": "adam", "learning_rate": 0.01},
    "schedule": {"name": "constant"},
    "epochs": 200,
    "batch_size": 32,
    "l2": 0.0,
    "gradient_clip": None,
    "early_stopping": None,
    "seed": 42,
}


def minimal(**changes):
    """Return the smallest valid regression spec, with top-level keys replaced."""
    spec = {
        "layers": [{"units": 1, "activation": "linear"}],
        "loss": "mse",
        "optimizer": {"name": "sgd", "learning_rate": 0.1},
    }
    spec.update(changes)
    return spec


def errors_of(raw):
    with pytest.raises(SpecError) as caught:
        parse_spec(raw)
    return caught.value.errors


# --- accepted values ------------------------------------------------------------------------


def test_contract_example_parses_and_fills_defaults():
    spec = parse_spec(CONTRACT_EXAMPLE)
    assert spec["version"] == 1
    assert spec["layers"][0] == {"units": 32, "activation": "relu", "dropout": 0.0,
                                 "init": "he_normal"}
    assert spec["layers"][1]["dropout"] == 0.1
    assert spec["optimizer"] == {"name": "adam", "learning_rate": 0.01, "beta1": 0.9,
                                 "beta2": 0.999, "eps": 1e-8}
    assert spec["schedule"] == {"name": "constant", "warmup_epochs": 0}
    assert spec["dtype"] == "float32"
    assert spec["seed"] == 42


def test_minimal_spec_gets_documented_defaults():
    spec = parse_spec(minimal())
    assert spec["version"] == 1
    assert spec["init"] == "glorot_uniform"
    assert spec["layers"][0]["init"] == "glorot_uniform"
    assert spec["epochs"] == 100
    assert spec["batch_size"] == 32
    assert spec["l2"] == 0.0
    assert spec["gradient_clip"] is None
    assert spec["early_stopping"] is None
    assert spec["seed"] == 0
    assert spec["dtype"] == "float32"
    assert spec["schedule"] == {"name": "constant", "warmup_epochs": 0}


def test_missing_version_means_version_1():
    assert parse_spec(minimal())["version"] == 1


@pytest.mark.parametrize("activation", [a for a in ACTIVATIONS if a != "softmax"])
def test_every_hidden_activation_is_accepted(activation):
    spec = parse_spec(minimal(layers=[{"units": 4, "activation": activation},
                                      {"units": 1, "activation": activation}]))
    assert spec["layers"][0]["activation"] == activation


@pytest.mark.parametrize("init", INITIALIZERS)
def test_every_init_is_accepted_top_level_and_per_layer(init):
    spec = parse_spec(minimal(init=init, layers=[{"units": 2, "activation": "relu"},
                                                 {"units": 1, "activation": "linear",
                                                  "init": "zeros"}]))
    assert spec["init"] == init
    assert spec["layers"][0]["init"] == init
    assert spec["layers"][1]["init"] == "zeros"


@pytest.mark.parametrize("loss", ["mse", "mae", "huber"])
def test_regression_losses_are_accepted(loss):
    assert parse_spec(minimal(loss=loss))["loss"] == loss


def test_binary_cross_entropy_with_one_sigmoid_unit_is_accepted():
    spec = parse_spec(minimal(loss="binary_cross_entropy",
                              layers=[{"units": 1, "activation": "sigmoid"}]))
    assert spec["loss"] == "binary_cross_entropy"


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_optimizer_is_accepted_with_its_defaults(name):
    spec = parse_spec(minimal(optimizer={"name": name, "learning_rate": 0.5}))
    assert spec["optimizer"] == {"name": name, "learning_rate": 0.5, **OPTIMIZERS[name]}


def test_optimizer_settings_override_defaults():
    spec = parse_spec(minimal(optimizer={"name": "adamw", "learning_rate": 1, "beta1": 0.8,
                                         "beta2": 0.99, "eps": 1e-6, "weight_decay": 0}))
    assert spec["optimizer"] == {"name": "adamw", "learning_rate": 1.0, "beta1": 0.8,
                                 "beta2": 0.99, "eps": 1e-6, "weight_decay": 0.0}
    assert isinstance(spec["optimizer"]["learning_rate"], float)


def test_momentum_and_nesterov_take_momentum():
    for name in ("momentum", "nesterov"):
        spec = parse_spec(minimal(optimizer={"name": name, "learning_rate": 0.1,
                                             "momentum": 0.5}))
        assert spec["optimizer"]["momentum"] == 0.5


def test_gd_is_full_batch_by_default():
    spec = parse_spec(minimal(optimizer={"name": "gd", "learning_rate": 0.1}))
    assert spec["batch_size"] == "full"


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_every_schedule_is_accepted_with_defaults_and_warmup(name):
    spec = parse_spec(minimal(schedule={"name": name, "warmup_epochs": 3}))
    assert spec["schedule"] == {"name": name, **SCHEDULES[name], "warmup_epochs": 3}


def test_schedule_settings_override_defaults():
    assert parse_spec(minimal(schedule={"name": "step", "step_size": 5, "gamma": 0.1}))[
        "schedule"] == {"name": "step", "step_size": 5, "gamma": 0.1, "warmup_epochs": 0}
    assert parse_spec(minimal(schedule={"name": "exponential", "gamma": 0.9}))[
        "schedule"]["gamma"] == 0.9
    assert parse_spec(minimal(schedule={"name": "cosine", "min_learning_rate": 0.01}))[
        "schedule"]["min_learning_rate"] == 0.01


@pytest.mark.parametrize("batch_size", [1, 32, "full"])
def test_batch_size_accepts_integers_and_full(batch_size):
    assert parse_spec(minimal(batch_size=batch_size))["batch_size"] == batch_size


def test_early_stopping_accepts_null_and_an_object():
    assert parse_spec(minimal(early_stopping=None))["early_stopping"] is None
    spec = parse_spec(minimal(early_stopping={"patience": 5, "min_delta": 0.001}))
    assert spec["early_stopping"] == {"patience": 5, "min_delta": 0.001}
    assert parse_spec(minimal(early_stopping={}))["early_stopping"] == {
        "patience": 10, "min_delta": 0.0}


def test_gradient_clip_accepts_null_and_a_positive_norm():
    assert parse_spec(minimal(gradient_clip=None))["gradient_clip"] is None
    assert parse_spec(minimal(gradient_clip=5))["gradient_clip"] == 5.0


def test_dropout_accepts_zero_up_to_below_one_on_hidden_layers():
    for p in (0, 0.0, 0.5, 0.99):
        spec = parse_spec(minimal(layers=[{"units": 4, "activation": "relu", "dropout": p},
                                          {"units": 1, "activation": "linear"}]))
        assert spec["layers"][0]["dropout"] == p


def test_float64_dtype_is_accepted():
    assert parse_spec(minimal(dtype="float64"))["dtype"] == "float64"


# --- round trip and hash --------------------------------------------------------------------


def test_parse_of_to_dict_is_the_same_spec():
    spec = parse_spec(CONTRACT_EXAMPLE)
    assert parse_spec(to_dict(spec)) == spec


def test_to_dict_is_a_deep_copy():
    spec = parse_spec(CONTRACT_EXAMPLE)
    copied = to_dict(spec)
    copied["layers"][0]["units"] = 999
    assert spec["layers"][0]["units"] == 32


def test_normalised_spec_is_json_safe():
    spec = parse_spec(CONTRACT_EXAMPLE)
    assert json.loads(json.dumps(spec, allow_nan=False)) == spec


def test_parse_does_not_mutate_its_input():
    raw = copy.deepcopy(CONTRACT_EXAMPLE)
    parse_spec(raw)
    assert raw == CONTRACT_EXAMPLE


def test_spec_hash_ignores_spelled_out_defaults_and_int_versus_float():
    implicit = minimal()
    explicit = minimal(version=1, epochs=100, seed=0, l2=0, init="glorot_uniform",
                       optimizer={"name": "sgd", "learning_rate": 0.1})
    assert spec_hash(implicit) == spec_hash(explicit) == spec_hash(parse_spec(implicit))
    assert len(spec_hash(implicit)) == 64


def test_spec_hash_changes_with_the_spec():
    assert spec_hash(minimal()) != spec_hash(minimal(seed=1))


# --- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [None, [], "spec", 3, True])
def test_non_object_spec_is_a_spec_error_at_path_spec(raw):
    errors = errors_of(raw)
    assert list(errors) == ["spec"]
    assert "use an object" in errors["spec"][0]


def test_every_error_is_collected_not_just_the_first():
    errors = errors_of(minimal(epochs=0, seed=-1, l2=-1.0,
                               optimizer={"name": "sgd", "learning_rate": -1}))
    assert set(errors) == {"epochs", "seed", "l2", "optimizer.learning_rate"}


def test_negative_learning_rate_echoes_the_value_pytorch_style():
    errors = errors_of(minimal(optimizer={"name": "adam", "learning_rate": -1}))
    assert errors["optimizer.learning_rate"][0].startswith("Invalid learning rate: -1;")
    assert "> 0" in errors["optimizer.learning_rate"][0]


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"version": 2}, "version"),
        ({"version": True}, "version"),
        ({"version": "1"}, "version"),
        ({"layers": []}, "layers"),
        ({"layers": "dense"}, "layers"),
        ({"layers": [{"units": 1, "activation": "linear"}] * 33}, "layers"),
        ({"layers": [5]}, "layers[0]"),
        ({"layers": [{"activation": "linear"}]}, "layers[0].units"),
        ({"layers": [{"units": 0, "activation": "linear"}]}, "layers[0].units"),
        ({"layers": [{"units": True, "activation": "linear"}]}, "layers[0].units"),
        ({"layers": [{"units": 1.0, "activation": "linear"}]}, "layers[0].units"),
        ({"layers": [{"units": "1", "activation": "linear"}]}, "layers[0].units"),
        ({"layers": [{"units": MAX_UNITS + 1, "activation": "linear"}]}, "layers[0].units"),
        ({"layers": [{"units": 1}]}, "layers[0].activation"),
        ({"layers": [{"units": 1, "activation": "swish"}]}, "layers[0].activation"),
        ({"layers": [{"units": 1, "activation": None}]}, "layers[0].activation"),
        ({"layers": [{"units": 1, "activation": "linear", "init": "xavier"}]}, "layers[0].init"),
        ({"layers": [{"units": 2, "activation": "relu", "dropout": 1.0},
                     {"units": 1, "activation": "linear"}]}, "layers[0].dropout"),
        ({"layers": [{"units": 2, "activation": "relu", "dropout": -0.1},
                     {"units": 1, "activation": "linear"}]}, "layers[0].dropout"),
        ({"layers": [{"units": 2, "activation": "relu", "dropout": "0.1"},
                     {"units": 1, "activation": "linear"}]}, "layers[0].dropout"),
        ({"layers": [{"units": 1, "activation": "linear", "dropout": 0.5}]}, "layers[0].dropout"),
        ({"layers": [{"units": 3, "activation": "softmax"},
                     {"units": 1, "activation": "linear"}]}, "layers[0].activation"),
        ({"init": "he"}, "init"),
        ({"loss": "cross_entropyy"}, "loss"),
        ({"loss": None}, "loss"),
        ({"optimizer": "adam"}, "optimizer"),
        ({"optimizer": {"learning_rate": 0.1}}, "optimizer.name"),
        ({"optimizer": {"name": "adamax", "learning_rate": 0.1}}, "optimizer.name"),
        ({"optimizer": {"name": "adam"}}, "optimizer.learning_rate"),
        ({"optimizer": {"name": "adam", "learning_rate": 0}}, "optimizer.learning_rate"),
        ({"optimizer": {"name": "adam", "learning_rate": True}}, "optimizer.learning_rate"),
        ({"optimizer": {"name": "adam", "learning_rate": "0.1"}}, "optimizer.learning_rate"),
        ({"optimizer": {"name": "adam", "learning_rate": math.nan}}, "optimizer.learning_rate"),
        ({"optimizer": {"name": "adam", "learning_rate": math.inf}}, "optimizer.learning_rate"),
        ({"optimizer": {"name": "momentum", "learning_rate": 0.1, "momentum": 1.0}},
         "optimizer.momentum"),
        ({"optimizer": {"name": "adam", "learning_rate": 0.1, "beta1": -0.1}}, "optimizer.beta1"),
        ({"optimizer": {"name": "adam", "learning_rate": 0.1, "beta2": 1}}, "optimizer.beta2"),
        ({"optimizer": {"name": "adam", "learning_rate": 0.1, "eps": 0}}, "optimizer.eps"),
        ({"optimizer": {"name": "adamw", "learning_rate": 0.1, "weight_decay": -1}},
         "optimizer.weight_decay"),
        ({"optimizer": {"name": "adam", "learning_rate": 0.1, "momentum": 0.9}},
         "optimizer.momentum"),
        ({"optimizer": {"name": "sgd", "learning_rate": 0.1, "weight_decay": 0.1}},
         "optimizer.weight_decay"),
        ({"optimizer": {"name": "gd", "learning_rate": 0.1}, "batch_size": 32}, "batch_size"),
        ({"schedule": "constant"}, "schedule"),
        ({"schedule": {}}, "schedule.name"),
        ({"schedule": {"name": "linear"}}, "schedule.name"),
        ({"schedule": {"name": "step", "step_size": 0}}, "schedule.step_size"),
        ({"schedule": {"name": "step", "gamma": 1.5}}, "schedule.gamma"),
        ({"schedule": {"name": "exponential", "gamma": 0}}, "schedule.gamma"),
        ({"schedule": {"name": "cosine", "min_learning_rate": -0.1}},
         "schedule.min_learning_rate"),
        ({"schedule": {"name": "cosine", "min_learning_rate": 1.0}}, "schedule.min_learning_rate"),
        ({"schedule": {"name": "constant", "warmup_epochs": -1}}, "schedule.warmup_epochs"),
        ({"schedule": {"name": "constant", "warmup_epochs": 100}}, "schedule.warmup_epochs"),
        ({"schedule": {"name": "constant", "gamma": 0.5}}, "schedule.gamma"),
        ({"epochs": 0}, "epochs"),
        ({"epochs": 1.5}, "epochs"),
        ({"epochs": True}, "epochs"),
        ({"epochs": 10**9}, "epochs"),
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": "all"}, "batch_size"),
        ({"batch_size": 32.0}, "batch_size"),
        ({"batch_size": False}, "batch_size"),
        ({"l2": -0.1}, "l2"),
        ({"l2": None}, "l2"),
        ({"l2": math.inf}, "l2"),
        ({"gradient_clip": 0}, "gradient_clip"),
        ({"gradient_clip": "1"}, "gradient_clip"),
        ({"early_stopping": True}, "early_stopping"),
        ({"early_stopping": {"patience": 0}}, "early_stopping.patience"),
        ({"early_stopping": {"patience": 2.5}}, "early_stopping.patience"),
        ({"early_stopping": {"min_delta": -1}}, "early_stopping.min_delta"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.0}, "seed"),
        ({"seed": True}, "seed"),
        ({"seed": 2**32}, "seed"),
        ({"dtype": "float16"}, "dtype"),
    ],
)
def test_each_bad_field_is_reported_at_its_path(changes, path):
    errors = errors_of(minimal(**changes))
    assert path in errors, errors
    assert all(message for message in errors[path])


@pytest.mark.parametrize("key", ["layers", "loss", "optimizer"])
def test_required_top_level_keys_are_named_when_missing(key):
    raw = minimal()
    del raw[key]
    errors = errors_of(raw)
    assert key in errors
    assert errors[key][0].startswith("Missing")


def test_spec_error_survives_pickling():
    import pickle

    error = pickle.loads(pickle.dumps(SpecError({"epochs": ["Invalid epochs: 0"]})))
    assert error.errors == {"epochs": ["Invalid epochs: 0"]}
    assert "epochs: Invalid epochs: 0" in str(error)


def test_bool_is_not_an_integer_and_says_so():
    errors = errors_of(minimal(epochs=True))
    assert "true (a boolean)" in errors["epochs"][0]


def test_bad_top_level_init_is_reported_once():
    errors = errors_of(minimal(init="bogus", layers=[{"units": 2, "activation": "relu"},
                                                     {"units": 1, "activation": "linear"}]))
    assert list(errors) == ["init"]


# --- unknown keys ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "path", "suggestion"),
    [
        ({"epoch": 3}, "epoch", "epochs"),
        ({"versoin": 1}, "versoin", "version"),
        ({"layers": [{"unit": 1, "activation": "linear"}]}, "layers[0].unit", "units"),
        ({"optimizer": {"name": "adam", "lr": 0.1, "learning_rate": 0.1}}, "optimizer.lr",
         "learning_rate"),
        ({"optimizer": {"name": "adam", "learning_rate": 0.1, "beta_1": 0.9}},
         "optimizer.beta_1", "beta1"),
        ({"schedule": {"name": "step", "stepsize": 3}}, "schedule.stepsize", "step_size"),
        ({"early_stopping": {"patient": 3}}, "early_stopping.patient", "patience"),
    ],
)
def test_unknown_keys_are_errors_with_did_you_mean(changes, path, suggestion):
    errors = errors_of(minimal(**changes))
    assert path in errors
    assert f"Did you mean '{suggestion}'?" in errors[path][0]


def test_unknown_key_far_from_any_name_lists_the_accepted_keys():
    errors = errors_of(minimal(colour="blue"))
    assert "Did you mean" not in errors["colour"][0]
    assert "Accepted keys: version, layers" in errors["colour"][0]


def test_wrong_case_value_suggests_the_lowercase_name():
    errors = errors_of(minimal(loss="MSE"))
    assert "Did you mean 'mse'?" in errors["loss"][0]


def test_key_of_another_optimizer_says_where_it_belongs():
    errors = errors_of(minimal(optimizer={"name": "adam", "learning_rate": 0.1,
                                          "momentum": 0.9}))
    assert "belongs to momentum, nesterov" in errors["optimizer.momentum"][0]


# --- loss and last layer --------------------------------------------------------------------


def test_cross_entropy_needs_softmax_last_layer():
    errors = errors_of(minimal(loss="cross_entropy",
                               layers=[{"units": 3, "activation": "linear"}]))
    assert "softmax" in errors["layers[0].activation"][0]


def test_cross_entropy_needs_at_least_two_units():
    errors = errors_of(minimal(loss="cross_entropy",
                               layers=[{"units": 1, "activation": "softmax"}]))
    assert "layers[0].units" in errors


def test_binary_cross_entropy_needs_one_sigmoid_unit():
    errors = errors_of(minimal(loss="binary_cross_entropy",
                               layers=[{"units": 4, "activation": "relu"},
                                       {"units": 2, "activation": "tanh"}]))
    assert "sigmoid" in errors["layers[1].activation"][0]
    assert "1 sigmoid unit" in errors["layers[1].units"][0]


def test_softmax_last_layer_needs_cross_entropy():
    errors = errors_of(minimal(loss="mse", layers=[{"units": 3, "activation": "softmax"}]))
    assert "cross_entropy" in errors["loss"][0]


# --- validate_for_data ----------------------------------------------------------------------


def classifier(units, activation="softmax", loss="cross_entropy"):
    return minimal(loss=loss, layers=[{"units": 8, "activation": "relu"},
                                      {"units": 8, "activation": "relu"},
                                      {"units": units, "activation": activation}])


def data_errors(spec, **data):
    with pytest.raises(SpecError) as caught:
        validate_for_data(spec, **data)
    return caught.value.errors


def test_multiclass_data_needs_one_unit_per_class_and_names_the_dataset():
    errors = data_errors(classifier(2), task="multiclass", n_inputs=2, n_outputs=3,
                         n_classes=3, dataset_name="spirals")
    assert errors == {"layers[2].units": ["dataset 'spirals' has 3 classes; the last layer "
                                          "has 2 units. Use 3"]}


def test_multiclass_data_rejects_other_losses():
    errors = data_errors(minimal(loss="mse", layers=[{"units": 3, "activation": "linear"}]),
                         task="multiclass", n_inputs=2, n_outputs=3, n_classes=3,
                         dataset_name="spirals")
    assert "cross_entropy" in errors["loss"][0]
    assert "spirals" in errors["loss"][0]


def test_multiclass_data_accepts_a_matching_spec():
    spec = validate_for_data(classifier(3), task="multiclass", n_inputs=2, n_outputs=3,
                             n_classes=3, dataset_name="spirals")
    assert spec == parse_spec(classifier(3))


def test_regression_data_rejects_classification_losses():
    errors = data_errors(classifier(1, "sigmoid", "binary_cross_entropy"), task="regression",
                         n_inputs=1, n_outputs=1, dataset_name="linear")
    assert errors == {"loss": ["dataset 'linear' is a regression task; use mse, mae or huber"]}


def test_regression_data_needs_one_unit_per_target():
    errors = data_errors(minimal(layers=[{"units": 2, "activation": "linear"}]),
                         task="regression", n_inputs=1, n_outputs=1, dataset_name="sine")
    assert "dataset 'sine' has 1 target; the last layer has 2 units" in \
        errors["layers[0].units"][0]


def test_regression_data_accepts_mse_mae_and_huber():
    for loss in ("mse", "mae", "huber"):
        validate_for_data(minimal(loss=loss), task="regression", n_inputs=3, n_outputs=1,
                          dataset_name="diabetes")


def test_binary_data_accepts_one_sigmoid_or_two_softmax_units():
    validate_for_data(classifier(1, "sigmoid", "binary_cross_entropy"), task="binary",
                      n_inputs=2, n_outputs=1, n_classes=2, dataset_name="moons")
    validate_for_data(classifier(2), task="binary", n_inputs=2, n_outputs=1, n_classes=2,
                      dataset_name="moons")


def test_binary_data_rejects_three_softmax_units_and_regression_losses():
    errors = data_errors(classifier(3), task="binary", n_inputs=2, n_outputs=1, n_classes=2,
                         dataset_name="moons")
    assert "dataset 'moons' has 2 classes; the last layer has 3 units" in \
        errors["layers[2].units"][0]
    errors = data_errors(minimal(), task="binary", n_inputs=2, n_outputs=1, n_classes=2,
                         dataset_name="moons")
    assert "binary classification" in errors["loss"][0]


def test_validate_for_data_can_speak_of_a_challenge():
    errors = data_errors(classifier(2), task="multiclass", n_inputs=2, n_outputs=3,
                         n_classes=3, dataset_name="spirals", kind="challenge")
    assert errors["layers[2].units"][0].startswith("challenge 'spirals' has 3 classes")


def test_validate_for_data_raises_spec_level_errors_first():
    errors = data_errors(minimal(epochs=0), task="regression", n_inputs=1, n_outputs=1)
    assert "epochs" in errors


def test_validate_for_data_rejects_an_unknown_task():
    with pytest.raises(ValueError, match="Invalid task"):
        validate_for_data(minimal(), task="ranking", n_inputs=1, n_outputs=1)


# --- consistency with the numerics ----------------------------------------------------------


def test_every_spec_name_has_an_implementation():
    from descent.engine.activations import ACTIVATIONS as IMPLEMENTED_ACTIVATIONS
    from descent.engine.initializers import INITIALIZERS as IMPLEMENTED_INITIALIZERS
    from descent.engine.losses import LOSSES as IMPLEMENTED_LOSSES
    from descent.engine.spec import LOSSES

    assert set(ACTIVATIONS) <= set(IMPLEMENTED_ACTIVATIONS)
    assert set(INITIALIZERS) <= set(IMPLEMENTED_INITIALIZERS)
    assert set(LOSSES) <= set(IMPLEMENTED_LOSSES)


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
