"""`train`: determinism, cancellation, divergence, early stopping, float64, and learning."""

import warnings
from types import SimpleNamespace

import numpy as np
import pytest

from descent.engine import build_model, load_dataset, metrics, parse_spec, train
from descent.engine import diagnosis as rules

SPIRAL_NET = [
    {"units": 32, "activation": "relu", "dropout": 0.1},
    {"units": 32, "activation": "tanh"},
    {"units": 3, "activation": "softmax"},
]


def spec_of(**fields: object) -> dict:
    """Return a normalised spiral-classifier spec with these fields changed."""
    raw = {
        "layers": SPIRAL_NET,
        "loss": "cross_entropy",
        "epochs": 10,
        "seed": 7,
        "optimizer": {"name": "adam", "learning_rate": 0.01},
    }
    return parse_spec({**raw, **fields})


@pytest.fixture(scope="module")
def spirals() -> SimpleNamespace:
    return load_dataset("spirals", seed=0)


def regression_data(n: int = 200, seed: int = 0) -> SimpleNamespace:
    """Return a small noisy 1-D regression problem."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(2 * n, 1)).astype(np.float32)
    y = (np.sin(2 * X) + 0.3 * rng.normal(size=X.shape)).astype(np.float32)
    return SimpleNamespace(
        task="regression",
        n_inputs=1,
        n_outputs=1,
        X_train=X[:n],
        y_train=y[:n],
        X_val=X[n:],
        y_val=y[n:],
    )


def test_same_spec_data_and_seed_give_bit_identical_histories(spirals) -> None:
    first, second = train(spec_of(), spirals), train(spec_of(), spirals)
    assert first.history == second.history
    assert np.array_equal(first.model.params, second.model.params)


def test_another_seed_gives_another_history(spirals) -> None:
    assert train(spec_of(), spirals).history != train(spec_of(seed=8), spirals).history


def test_history_records_hold_python_floats_and_the_learning_rate(spirals) -> None:
    record = train(spec_of(epochs=1), spirals).history[0]
    assert set(record) == {"epoch", "train_loss", "val_loss", "accuracy", "learning_rate"}
    assert all(type(record[key]) is float for key in record if key != "epoch")
    assert record["epoch"] == 1


def test_train_loss_is_the_mean_of_the_batch_losses_before_each_update(spirals) -> None:
    # With a negligible learning rate every batch sees the initial model, and with equal
    # batches the mean of batch means is the mean over the whole training split.
    spec = spec_of(
        layers=[SPIRAL_NET[1], SPIRAL_NET[2]],
        batch_size=40,
        epochs=1,
        optimizer={"name": "sgd", "learning_rate": 1e-12},
    )
    assert len(spirals.X_train) % 40 == 0
    initial = build_model(spec, spirals.n_inputs, seed=spec["seed"])
    expected, _ = initial.loss_and_gradients(spirals.X_train, spirals.y_train)
    assert train(spec, spirals).history[0]["train_loss"] == pytest.approx(expected, rel=1e-5)


def test_on_epoch_returning_false_cancels_the_run(spirals) -> None:
    seen = []
    result = train(spec_of(), spirals, on_epoch=lambda record: seen.append(record) or len(seen) < 3)
    assert result.status == "cancelled"
    assert len(result.history) == 3
    assert seen == result.history


def test_huge_learning_rate_diverges_with_advice_and_without_exception_or_warning() -> None:
    spec = parse_spec(
        {
            "layers": [{"units": 16, "activation": "relu"}, {"units": 1, "activation": "linear"}],
            "loss": "mse",
            "optimizer": {"name": "sgd", "learning_rate": 1e6},
            "epochs": 50,
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            result = train(spec, regression_data())
    assert result.status == "diverged"
    assert "exploded" in result.message
    assert "Try learning_rate 100000 (10x lower)" in result.message
    assert result.diagnoses[0]["code"] == "diverged"
    assert len(result.history) < 50
    assert all(np.isfinite(record["train_loss"]) for record in result.history)


def test_early_stopping_stops_after_patience_and_keeps_the_best_weights(spirals) -> None:
    # min_delta so large that only the first epoch counts as an improvement.
    spec = spec_of(epochs=50, early_stopping={"patience": 3, "min_delta": 100.0})
    result = train(spec, spirals)
    assert result.status == "succeeded"
    assert result.stopped_early
    assert len(result.history) == 4
    assert result.best_epoch == 1
    restored = result.model.loss_and_gradients(spirals.X_val, spirals.y_val)[0]
    assert restored == pytest.approx(result.history[0]["val_loss"], rel=1e-5)


def test_run_without_early_stopping_reports_its_best_epoch(spirals) -> None:
    result = train(spec_of(), spirals)
    assert not result.stopped_early
    losses = [record["val_loss"] for record in result.history]
    assert result.best_epoch == 1 + losses.index(min(losses))


def test_float64_mode_trains_in_float64_and_agrees_with_float32(spirals) -> None:
    single = train(spec_of(epochs=3), spirals)
    double = train(spec_of(epochs=3, dtype="float64"), spirals)
    assert double.model.params.dtype == np.float64
    assert single.model.params.dtype == np.float32
    np.testing.assert_allclose(
        [r["train_loss"] for r in double.history],
        [r["train_loss"] for r in single.history],
        rtol=1e-4,
    )


def test_metric_argument_names_the_history_column(spirals) -> None:
    result = train(spec_of(epochs=2), spirals, metric="log_loss")
    assert result.history[-1]["log_loss"] == pytest.approx(result.history[-1]["val_loss"], rel=1e-4)


# Each generated dataset, a spec that learns it, and the validation result it must reach.
LEARNING = {
    "linear": ([], "mse", "sgd", 0.05, "val_loss", 0.05),
    "polynomial": ([{"units": 32, "activation": "tanh"}], "mse", "adam", 0.01, "val_loss", 0.05),
    "sine": (
        [{"units": 32, "activation": "tanh"}, {"units": 32, "activation": "tanh"}],
        "mse",
        "adam",
        0.01,
        "val_loss",
        0.05,
    ),
    "blobs": (
        [{"units": 16, "activation": "relu"}],
        "cross_entropy",
        "adam",
        0.01,
        "accuracy",
        0.95,
    ),
    "moons": (
        [{"units": 16, "activation": "relu"}],
        "binary_cross_entropy",
        "adam",
        0.01,
        "accuracy",
        0.95,
    ),
    "circles": (
        [{"units": 16, "activation": "relu"}],
        "binary_cross_entropy",
        "adam",
        0.01,
        "accuracy",
        0.95,
    ),
    "xor": (
        [{"units": 16, "activation": "tanh"}],
        "binary_cross_entropy",
        "adam",
        0.01,
        "accuracy",
        0.8,
    ),
    "spirals": (
        [{"units": 64, "activation": "relu"}, {"units": 64, "activation": "relu"}],
        "cross_entropy",
        "adam",
        0.01,
        "accuracy",
        0.9,
    ),
}


@pytest.mark.parametrize("name", LEARNING)
def test_documented_spec_learns_each_generated_dataset(name: str) -> None:
    hidden, loss, optimizer, learning_rate, column, target = LEARNING[name]
    data = load_dataset(name, seed=0)
    output = {
        "cross_entropy": {"units": data.n_outputs, "activation": "softmax"},
        "binary_cross_entropy": {"units": 1, "activation": "sigmoid"},
        "mse": {"units": data.n_outputs, "activation": "linear"},
    }[loss]
    spec = parse_spec(
        {
            "layers": [*hidden, output],
            "loss": loss,
            "init": "he_normal",
            "optimizer": {"name": optimizer, "learning_rate": learning_rate},
            "epochs": 100,
            "seed": 0,
        }
    )
    result = train(spec, data)
    assert result.status == "succeeded"
    final = result.history[-1][column]
    assert final < target if column == "val_loss" else final >= target


def test_tiny_learning_rate_is_diagnosed(spirals) -> None:
    result = train(spec_of(optimizer={"name": "sgd", "learning_rate": 1e-7}), spirals)
    codes = [found["code"] for found in result.diagnoses]
    assert codes == ["learning_rate_too_small"]
    assert "Try learning_rate 1e-06 (10x higher)" in result.diagnoses[0]["message"]


def test_deep_sigmoid_network_is_diagnosed_with_vanishing_gradients(spirals) -> None:
    deep = [{"units": 16, "activation": "sigmoid"} for _ in range(8)]
    spec = spec_of(layers=[*deep, {"units": 3, "activation": "softmax"}], epochs=5)
    assert "vanishing_gradients" in [found["code"] for found in train(spec, spirals).diagnoses]


def test_healthy_relu_network_has_no_diagnosis(spirals) -> None:
    assert train(spec_of(epochs=30), spirals).diagnoses == []


def test_rising_validation_loss_with_falling_training_loss_is_overfitting() -> None:
    history = [
        {"epoch": e, "train_loss": 1.0 / e, "val_loss": 0.5 + abs(e - 5) * 0.1}
        for e in range(1, 31)
    ]
    found = rules.overfitting(history)
    assert found is not None and "epoch 5" in found["message"]
    steady = [{**record, "val_loss": 1.0 / record["epoch"]} for record in history]
    assert rules.overfitting(steady) is None


def test_metrics_agree_with_scikit_learn() -> None:
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, size=50)
    probabilities = rng.dirichlet(np.ones(3), size=50)
    assert metrics.accuracy(labels, probabilities, "multiclass") == pytest.approx(
        sklearn_metrics.accuracy_score(labels, probabilities.argmax(1))
    )
    assert metrics.log_loss(labels, probabilities, "multiclass") == pytest.approx(
        sklearn_metrics.log_loss(labels, probabilities)
    )
    binary, p = rng.integers(0, 2, size=50), rng.uniform(0.05, 0.95, size=(50, 1))
    assert metrics.log_loss(binary, p, "binary") == pytest.approx(
        sklearn_metrics.log_loss(binary, p[:, 0])
    )
    y, predicted = rng.normal(size=(50, 2)), rng.normal(size=(50, 2))
    assert metrics.r2(y, predicted, "regression") == pytest.approx(
        sklearn_metrics.r2_score(y, predicted)
    )
    assert metrics.mse(y, predicted, "regression") == pytest.approx(
        sklearn_metrics.mean_squared_error(y, predicted)
    )
    assert metrics.mae(y, predicted, "regression") == pytest.approx(
        sklearn_metrics.mean_absolute_error(y, predicted)
    )


def test_score_evaluates_a_trained_model_on_a_split(spirals) -> None:
    result = train(spec_of(), spirals)
    accuracy = metrics.score("accuracy", result.model, spirals.X_val, spirals.y_val, "multiclass")
    assert accuracy == pytest.approx(result.history[-1]["accuracy"])
