"""Analytic gradients against float64 central differences: every activation, loss and layer."""

import numpy as np
import pytest

from descent.engine import activations, check_gradients, parse_spec
from descent.engine.gradcheck import numeric_gradient

TOLERANCE = 1e-6
# Every activation a hidden layer may use, from the table: a new one is checked here at once.
HIDDEN_ACTIVATIONS = [name for name, a in activations.ACTIVATIONS.items() if not a.output_only]


def spec_of(layers: list[dict], loss: str = "mse", **extra: object) -> dict:
    """Return a normalised spec with these layers and loss."""
    return parse_spec(
        {
            "layers": layers,
            "loss": loss,
            "init": "glorot_normal",
            "optimizer": {"name": "sgd", "learning_rate": 0.1},
            **extra,
        }
    )


def assert_gradients_match(spec: dict, n_inputs: int = 3, n_outputs: int = 2) -> None:
    """Assert every parameter's gradient matches central differences."""
    for record in check_gradients(spec, n_inputs=n_inputs, n_outputs=n_outputs):
        assert record["max_rel_error"] < TOLERANCE, record


@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
def test_each_hidden_activation_backpropagates_its_exact_derivative(activation: str) -> None:
    spec = spec_of(
        [
            {"units": 5, "activation": activation},
            {"units": 4, "activation": activation},
            {"units": 2, "activation": "linear"},
        ]
    )
    assert_gradients_match(spec)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "elu"])
def test_output_activation_under_a_regression_loss_backpropagates(activation: str) -> None:
    spec = spec_of([{"units": 4, "activation": "tanh"}, {"units": 3, "activation": activation}])
    assert_gradients_match(spec, n_outputs=3)


@pytest.mark.parametrize("loss", ["mse", "mae", "huber"])
def test_regression_losses_backpropagate(loss: str) -> None:
    spec = spec_of([{"units": 6, "activation": "tanh"}, {"units": 2, "activation": "linear"}], loss)
    assert_gradients_match(spec)


def test_huber_is_checked_on_both_sides_of_its_delta() -> None:
    # Targets of spread 1 against outputs near 0 give residuals inside and outside ±1.
    spec = spec_of(
        [{"units": 6, "activation": "tanh"}, {"units": 2, "activation": "linear"}], "huber"
    )
    assert_gradients_match(spec)


def test_fused_softmax_cross_entropy_backpropagates() -> None:
    spec = spec_of(
        [{"units": 6, "activation": "relu"}, {"units": 4, "activation": "softmax"}], "cross_entropy"
    )
    assert_gradients_match(spec, n_outputs=4)


def test_fused_sigmoid_binary_cross_entropy_backpropagates() -> None:
    spec = spec_of(
        [{"units": 6, "activation": "elu"}, {"units": 1, "activation": "sigmoid"}],
        "binary_cross_entropy",
    )
    assert_gradients_match(spec, n_outputs=1)


def test_deep_dense_stack_with_dropout_backpropagates() -> None:
    spec = spec_of(
        [
            {"units": 7, "activation": "tanh", "dropout": 0.3},
            {"units": 6, "activation": "gelu", "dropout": 0.5},
            {"units": 5, "activation": "leaky_relu"},
            {"units": 3, "activation": "softmax"},
        ],
        "cross_entropy",
    )
    assert_gradients_match(spec, n_inputs=4, n_outputs=3)


def test_l2_penalty_gradient_covers_weights_and_not_biases() -> None:
    spec = spec_of(
        [{"units": 5, "activation": "tanh"}, {"units": 2, "activation": "linear"}], l2=0.3
    )
    assert_gradients_match(spec)


def test_gradient_check_catches_a_wrong_derivative(monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = activations.Activation(activations.tanh, activations.linear_backward)
    monkeypatch.setitem(activations.ACTIVATIONS, "tanh", wrong)
    spec = spec_of([{"units": 5, "activation": "tanh"}, {"units": 2, "activation": "linear"}])
    errors = check_gradients(spec, n_inputs=3, n_outputs=2)
    assert errors[0]["parameter"] == "layers[0].W"
    assert errors[0]["max_rel_error"] > 1e-3


def test_numeric_gradient_of_a_quadratic_is_exact() -> None:
    x = np.array([1.0, -2.0, 3.0])
    gradient = numeric_gradient(x, lambda: float(x @ x))
    np.testing.assert_allclose(gradient, 2 * np.array([1.0, -2.0, 3.0]), rtol=1e-9)


def test_unfused_softmax_backward_is_its_jacobian_product() -> None:
    rng = np.random.default_rng(0)
    Z, dA = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    numeric = numeric_gradient(Z, lambda: float((activations.softmax(Z.copy()) * dA).sum()))
    analytic = activations.softmax_backward(dA.copy(), activations.softmax(Z.copy()), None)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-9)
