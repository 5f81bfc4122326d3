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
)
from tests.engine.spec_samples import CONTRACT_EXAMPLE, errors_of, minimal

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
