"""Gradient flow per layer: the statistics are what they say, and the diagnosis names layers."""

import math
from types import SimpleNamespace

import numpy as np
import pytest

from descent.engine import Instruments, build_model, load_dataset, parse_spec, train
from descent.engine import diagnosis as rules


@pytest.fixture(scope="module")
def moons():
    return load_dataset("moons", seed=0)


def test_layer_stats_match_a_direct_computation_of_the_first_step(moons) -> None:
    # Full batch and plain gd: the first step is -lr·g of the initial model on the whole split.
    spec = parse_spec({
        "layers": [{"units": 6, "activation": "tanh"}, {"units": 4, "activation": "relu"},
                   {"units": 1, "activation": "sigmoid"}],
        "loss": "binary_cross_entropy",
        "optimizer": {"name": "gd", "learning_rate": 0.3},
        "epochs": 1,
        "dtype": "float64",
    })
    samples = []
    train(spec, moons, instruments=Instruments(on_layers=samples.append))
    model = build_model(spec, moons.n_inputs, seed=spec["seed"])
    _, gradients = model.loss_and_gradients(moons.X_train, moons.y_train)
    parameters = model.parameters()
    assert [sample["epoch"] for sample in samples] == [1]
    for index, stats in enumerate(samples[0]["layers"]):
        theta = np.concatenate([parameters[2 * index].ravel(), parameters[2 * index + 1]])
        grad = np.concatenate([gradients[2 * index].ravel(), gradients[2 * index + 1]])
        assert stats["layer"] == index + 1
        assert stats["grad_rms"] == pytest.approx(math.sqrt(np.mean(grad**2)), rel=1e-9)
        assert stats["weight_rms"] == pytest.approx(math.sqrt(np.mean(theta**2)), rel=1e-9)
        expected_ratio = 0.3 * np.linalg.norm(grad) / np.linalg.norm(theta)
        assert stats["update_ratio"] == pytest.approx(expected_ratio, rel=1e-9)


def test_layer_stats_are_sent_every_epoch_and_kept_out_of_the_history(moons) -> None:
    spec = parse_spec({
        "layers": [{"units": 8, "activation": "relu"}, {"units": 1, "activation": "sigmoid"}],
        "loss": "binary_cross_entropy",
        "optimizer": {"name": "adam", "learning_rate": 0.01},
        "epochs": 12,
    })
    samples = []
    result = train(spec, moons, instruments=Instruments(on_layers=samples.append))
    assert [sample["epoch"] for sample in samples] == list(range(1, 13))
    assert result.layer_stats == samples
    assert set(result.history[0]) == {"epoch", "train_loss", "val_loss", "accuracy",
                                      "learning_rate"}
    quiet = train(spec, moons)
    # Without the callback only epochs 1-5 and every 10th are sampled, for the diagnosis.
    assert [sample["epoch"] for sample in quiet.layer_stats] == [1, 2, 3, 4, 5, 10]


def layers(*stats: tuple[float, float]) -> dict:
    """Return one sample: per layer (grad_rms, update_ratio)."""
    return {"epoch": 1, "layers": [
        {"layer": k + 1, "grad_rms": g, "weight_rms": 1.0, "update_ratio": u}
        for k, (g, u) in enumerate(stats)
    ]}


def test_vanishing_gradients_names_the_layer_and_the_fix() -> None:
    samples = [layers((1e-8, 1e-3), (5e-6, 1e-3), (1e-4, 1e-3), (1e-3, 1e-3))] * 3
    found = rules.vanishing_gradients(samples)
    assert found is not None and found["code"] == "vanishing_gradients"
    assert "gradients in layer 1 are 1.0e-05 times those of layer 4" in found["message"]
    assert "relu" in found["message"] and "he_normal" in found["message"]
    healthy = [layers((1e-3, 1e-3), (2e-3, 1e-3), (1e-3, 1e-3))] * 3
    assert rules.vanishing_gradients(healthy) is None


def test_large_updates_name_the_layer_and_a_lower_learning_rate() -> None:
    samples = [layers((1.0, 0.002), (1.0, 0.3)), layers((1.0, 0.003), (1.0, 0.35))]
    found = rules.updates_too_large(samples, 0.5)
    assert found is not None
    assert found["message"].startswith("Layer 2's update is 35 % of its weights each step")
    assert "learning_rate 0.05" in found["message"]
    assert rules.updates_too_large([layers((1.0, 0.002), (1.0, 0.004))], 0.5) is None


def test_deep_sigmoid_network_is_diagnosed_with_the_layer_named(moons) -> None:
    deep = [{"units": 16, "activation": "sigmoid"} for _ in range(8)]
    spec = parse_spec({
        "layers": [*deep, {"units": 1, "activation": "sigmoid"}],
        "loss": "binary_cross_entropy",
        "optimizer": {"name": "adam", "learning_rate": 0.01},
        "epochs": 5,
    })
    found = {d["code"]: d["message"] for d in train(spec, moons).diagnoses}
    assert "gradients in layer" in found["vanishing_gradients"]
    assert "times those of layer 9 (the output layer)" in found["vanishing_gradients"]


def test_too_large_a_learning_rate_is_blamed_on_the_layer_that_jumps() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 1)).astype(np.float32)
    y = (np.sin(2 * X) + 0.3 * rng.normal(size=X.shape)).astype(np.float32)
    data = SimpleNamespace(task="regression", n_inputs=1, n_outputs=1, X_train=X[:200],
                           y_train=y[:200], X_val=X[200:], y_val=y[200:])
    spec = parse_spec({
        "layers": [{"units": 16, "activation": "relu"}, {"units": 1, "activation": "linear"}],
        "loss": "mse",
        "optimizer": {"name": "sgd", "learning_rate": 0.6},
        "batch_size": 20,
        "epochs": 50,
    })
    result = train(spec, data)
    assert result.status == "succeeded"
    found = {d["code"]: d["message"] for d in result.diagnoses}
    assert found["updates_too_large"].startswith("Layer 2's update is ")
    assert "Try learning_rate 0.06 (10x lower)" in found["updates_too_large"]
    gentle = train(parse_spec({**spec, "optimizer": {"name": "sgd", "learning_rate": 0.05}}),
                   data)
    assert "updates_too_large" not in [d["code"] for d in gentle.diagnoses]


def test_diverged_run_names_the_layer_whose_update_exploded() -> None:
    samples = [layers((1.0, 0.01), (1.0, 0.02)), layers((1.0, 0.5), (1.0, 40.0))]
    found = rules.diverged_layers(samples)
    assert [d["code"] for d in found] == ["exploding_updates"]
    assert "layer 2's update was 40 times its weights in one step" in found[0]["message"]
    assert rules.diverged_layers([layers((1.0, 0.01), (1.0, 0.02))]) == []
