"""Budget estimates, checked against figures worked out by hand."""

import pytest

from descent.engine.budget import Budget, estimate_budget
from descent.engine.spec import SpecError


def spec(layers, optimizer="sgd", batch_size=32, dtype="float32", epochs=10, loss="mse"):
    document = {
        "layers": layers,
        "loss": loss,
        "optimizer": {"name": optimizer, "learning_rate": 0.1},
        "epochs": epochs,
        "dtype": dtype,
    }
    if batch_size is not None:
        document["batch_size"] = batch_size
    return document


TWO_LAYERS = [{"units": 4, "activation": "relu"}, {"units": 1, "activation": "linear"}]


def test_two_layer_sgd_budget_matches_hand_computation():
    # 3 inputs -> 4 -> 1: W1 3·4 + b1 4 + W2 4·1 + b2 1 = 21 parameters;
    # forward multiply-adds per sample 3·4 + 4·1 = 16.
    budget = estimate_budget(spec(TWO_LAYERS), n_inputs=3, n_train=100)
    assert budget.parameters == 21
    assert budget.macs_per_epoch == 16 * 3 * 100
    assert budget.macs_total == 16 * 3 * 100 * 10
    # params 21 + grads 21, no optimizer state; batch 32 keeps the input (3) and for each
    # layer Z and A (2·4 + 2·1): 32·13 = 416 values. float32: 4 bytes each.
    assert budget.peak_memory_bytes == (21 * 2 + 32 * 13) * 4


def test_adam_keeps_two_state_arrays_and_float64_doubles_the_bytes():
    budget = estimate_budget(spec(TWO_LAYERS, optimizer="adam", dtype="float64"),
                             n_inputs=3, n_train=100)
    assert budget.peak_memory_bytes == (21 * 4 + 32 * 13) * 8


def test_momentum_keeps_one_state_array():
    budget = estimate_budget(spec(TWO_LAYERS, optimizer="momentum"), n_inputs=3, n_train=100)
    assert budget.peak_memory_bytes == (21 * 3 + 32 * 13) * 4


def test_full_batch_holds_activations_for_the_whole_training_set():
    budget = estimate_budget(spec(TWO_LAYERS, optimizer="gd", batch_size=None), n_inputs=3,
                             n_train=100)
    assert budget.peak_memory_bytes == (21 * 2 + 100 * 13) * 4


def test_batch_larger_than_the_training_set_is_capped():
    small = estimate_budget(spec(TWO_LAYERS, batch_size=1000), n_inputs=3, n_train=50)
    assert small.peak_memory_bytes == (21 * 2 + 50 * 13) * 4


def test_dropout_adds_a_mask_per_unit():
    layers = [{"units": 4, "activation": "relu", "dropout": 0.5},
              {"units": 1, "activation": "linear"}]
    budget = estimate_budget(spec(layers), n_inputs=3, n_train=100)
    assert budget.peak_memory_bytes == (21 * 2 + 32 * 17) * 4


def test_contract_example_figures():
    layers = [{"units": 32, "activation": "relu"}, {"units": 32, "activation": "tanh"},
              {"units": 3, "activation": "softmax"}]
    budget = estimate_budget(spec(layers, loss="cross_entropy"), n_inputs=2, n_train=360)
    assert budget.parameters == (2 * 32 + 32) + (32 * 32 + 32) + (32 * 3 + 3)
    assert budget.macs_per_epoch == (2 * 32 + 32 * 32 + 32 * 3) * 3 * 360  # forward + backward


def test_budget_is_frozen():
    budget = estimate_budget(spec(TWO_LAYERS), n_inputs=3, n_train=10)
    assert isinstance(budget, Budget)
    with pytest.raises(AttributeError):
        budget.parameters = 0


def test_invalid_spec_raises_spec_error():
    with pytest.raises(SpecError):
        estimate_budget(spec([]), n_inputs=3, n_train=10)


@pytest.mark.parametrize(("n_inputs", "n_train"), [(0, 10), (3, 0)])
def test_invalid_data_shape_raises_value_error(n_inputs, n_train):
    with pytest.raises(ValueError):
        estimate_budget(spec(TWO_LAYERS), n_inputs=n_inputs, n_train=n_train)
