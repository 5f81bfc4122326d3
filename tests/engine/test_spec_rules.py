"""The model spec's rules across fields: the last layer fits the loss, the spec fits the data,
and every name the spec accepts has an implementation."""


import pytest

from descent.engine.spec import (
    ACTIVATIONS,
    INITIALIZERS,
    SpecError,
    parse_spec,
    validate_for_data,
)
from tests.engine.spec_samples import errors_of, minimal

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
