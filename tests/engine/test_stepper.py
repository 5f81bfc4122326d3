"""The step tracer: one real training step, its numbers checked by hand and by gradcheck."""

import json
from types import SimpleNamespace

import numpy as np
import pytest

from descent.engine import build_model, parse_spec, trace_step, train
from descent.engine.gradcheck import numeric_gradient

X = np.array([[0.5, -1.0], [1.5, 0.25], [-0.75, 2.0]])


def tiny_data(y: np.ndarray, task: str) -> SimpleNamespace:
    return SimpleNamespace(task=task, n_inputs=2, n_outputs=1, X_train=X, y_train=y,
                           X_val=X, y_val=y)


def tiny_spec(last: str, loss: str, optimizer: dict | None = None, **fields) -> dict:
    return parse_spec({
        "layers": [{"units": 2, "activation": "tanh"}, {"units": 1, "activation": last}],
        "loss": loss,
        "optimizer": optimizer or {"name": "sgd", "learning_rate": 0.1},
        "dtype": "float64",
        "seed": 11,
        **fields,
    })


def hand_step(spec: dict, y: np.ndarray, fused_sigmoid: bool) -> dict:
    """Compute a 2-2-1 tanh network's step by hand, from the same initial weights."""
    W1, b1, W2, b2 = (p.copy() for p in build_model(spec, 2, seed=spec["seed"]).parameters())
    n = len(X)
    z1 = X @ W1 + b1
    a1 = np.tanh(z1)
    z2 = a1 @ W2 + b2
    if fused_sigmoid:  # binary cross-entropy on the logit z2
        p = 1 / (1 + np.exp(-z2))
        loss = float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))
        dz2 = (p - y) / n
    else:  # mse on the linear output
        loss = float(np.mean((z2 - y) ** 2))
        dz2 = 2 * (z2 - y) / n
    dW2, db2 = a1.T @ dz2, dz2.sum(axis=0)
    da1 = dz2 @ W2.T
    dz1 = da1 * (1 - a1**2)
    dW1, db1 = X.T @ dz1, dz1.sum(axis=0)
    alpha = spec["optimizer"]["learning_rate"]
    return {"z1": z1, "a1": a1, "z2": z2, "loss": loss, "dz2": dz2, "da1": da1, "dz1": dz1,
            "dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2,
            "W1_after": W1 - alpha * dW1, "b1_after": b1 - alpha * db1,
            "W2_after": W2 - alpha * dW2, "b2_after": b2 - alpha * db2}


CASES = {
    "mse": ("linear", "mse", np.array([[0.3], [-1.2], [0.8]]), "regression", False),
    "binary_cross_entropy": ("sigmoid", "binary_cross_entropy", np.array([1, 0, 1]), "binary",
                             True),
}


@pytest.mark.parametrize("case", CASES)
def test_trace_of_a_2_2_1_network_equals_the_hand_computation(case) -> None:
    last, loss, y, task, fused = CASES[case]
    spec = tiny_spec(last, loss)
    trace = trace_step(spec, tiny_data(y, task), batch=3)
    expected = hand_step(spec, y.reshape(3, 1).astype(float), fused)
    first, second = trace["forward"]
    np.testing.assert_allclose(first["X"], X)
    np.testing.assert_allclose(first["Z"], expected["z1"], rtol=1e-12)
    np.testing.assert_allclose(first["A"], expected["a1"], rtol=1e-12)
    np.testing.assert_allclose(second["X"], expected["a1"], rtol=1e-12)
    np.testing.assert_allclose(second["Z"], expected["z2"], rtol=1e-12)
    assert trace["loss"]["value"] == pytest.approx(expected["loss"], rel=1e-12)
    np.testing.assert_allclose(trace["loss"]["gradient"], expected["dz2"], rtol=1e-12)
    output, hidden = trace["backward"]
    assert [output["layer"], hidden["layer"]] == [2, 1]
    np.testing.assert_allclose(output["dZ"], expected["dz2"], rtol=1e-12)
    np.testing.assert_allclose(output["dW"], expected["dW2"], rtol=1e-12)
    np.testing.assert_allclose(output["db"], expected["db2"], rtol=1e-12)
    np.testing.assert_allclose(hidden["dA"], expected["da1"], rtol=1e-12)
    np.testing.assert_allclose(hidden["dZ"], expected["dz1"], rtol=1e-12)
    np.testing.assert_allclose(hidden["dW"], expected["dW1"], rtol=1e-12)
    np.testing.assert_allclose(hidden["db"], expected["db1"], rtol=1e-12)
    update = trace["update"]
    assert update["rule"] == "w ← w − α·∇J(w)" and update["learning_rate"] == 0.1
    for layer, k in zip(update["layers"], (1, 2), strict=True):
        np.testing.assert_allclose(layer["W_after"], expected[f"W{k}_after"], rtol=1e-12)
        np.testing.assert_allclose(layer["b_after"], expected[f"b{k}_after"], rtol=1e-12)
        np.testing.assert_allclose(layer["step_W"], 0.1 * np.array(layer["gradient_W"]),
                                   rtol=1e-12)
    assert trace["loss_after"] < trace["loss"]["value"]


def test_stepper_gradients_match_central_differences() -> None:
    spec = parse_spec({
        "layers": [{"units": 3, "activation": "gelu"}, {"units": 2, "activation": "elu"},
                   {"units": 3, "activation": "softmax"}],
        "loss": "cross_entropy",
        "optimizer": {"name": "sgd", "learning_rate": 0.1},
        "dtype": "float64",
    })
    y = np.array([0, 2, 1])
    data = SimpleNamespace(task="multiclass", n_inputs=2, n_outputs=3, X_train=X, y_train=y)
    trace = trace_step(spec, data, batch=3)
    model = build_model(spec, 2, seed=spec["seed"])
    loss = lambda: model.loss_and_gradients(X, y)[0]  # noqa: E731
    for index, parameter in enumerate(model.parameters()):
        layer = trace["backward"][::-1][index // 2]
        analytic = np.array(layer["dW" if index % 2 == 0 else "db"])
        np.testing.assert_allclose(analytic, numeric_gradient(parameter, loss), atol=1e-8)


def test_the_trace_is_the_first_step_of_a_full_batch_run() -> None:
    # Full batch gd with one epoch takes exactly the traced step.
    spec = tiny_spec("linear", "mse", {"name": "gd", "learning_rate": 0.2}, epochs=1)
    y = np.array([[0.3], [-1.2], [0.8]])
    data = tiny_data(y, "regression")
    trace = trace_step(spec, data, batch=3)
    result = train(spec, data)
    after = [np.array(layer[key]) for layer in trace["update"]["layers"]
             for key in ("W_after", "b_after")]
    for traced, trained in zip(after, result.model.parameters(), strict=True):
        np.testing.assert_allclose(traced, trained, rtol=1e-12)
    assert result.history[0]["train_loss"] == pytest.approx(trace["loss"]["value"], rel=1e-12)


def test_adam_trace_shows_its_moments_and_the_normalised_step() -> None:
    spec = tiny_spec("linear", "mse", {"name": "adam", "learning_rate": 0.01})
    trace = trace_step(spec, tiny_data(np.array([[0.3], [-1.2], [0.8]]), "regression"),
                       batch=3, learning_rate=0.05)
    update = trace["update"]
    assert update["learning_rate"] == 0.05 and update["state"]["t"] == 1
    for layer, state in zip(update["layers"], update["state"]["layers"], strict=True):
        g = np.array(layer["gradient_W"])
        np.testing.assert_allclose(state["m_W"], 0.1 * g, rtol=1e-12)
        np.testing.assert_allclose(state["v_W"], 0.001 * g**2, rtol=1e-12)
        # After one step m̂ = g and v̂ = g², so the step is α·g/(|g| + ε).
        np.testing.assert_allclose(layer["step_W"], 0.05 * g / (np.abs(g) + 1e-8), rtol=1e-9)


def test_l2_and_clipping_show_in_the_gradient_stepped_with() -> None:
    spec = tiny_spec("linear", "mse", l2=0.5, gradient_clip=0.01)
    trace = trace_step(spec, tiny_data(np.array([[3.0], [-2.0], [1.0]]), "regression"), batch=3)
    clip = trace["gradient_clip"]
    assert clip["limit"] == 0.01 and clip["scaled"] and clip["norm"] > 0.01
    used = np.concatenate([np.ravel(layer[key]) for layer in trace["update"]["layers"]
                           for key in ("gradient_W", "gradient_b")])
    assert np.linalg.norm(used) == pytest.approx(0.01, rel=1e-4)
    first = trace["update"]["layers"][0]
    raw = np.array(trace["backward"][1]["dW"]) + 0.5 * np.array(first["W_before"])
    np.testing.assert_allclose(first["gradient_W"], raw * 0.01 / (clip["norm"] + 1e-6),
                               rtol=1e-9)
    assert trace["loss"]["penalty"] > 0


def test_dropout_masks_are_shown_and_the_trace_is_strict_json() -> None:
    spec = parse_spec({
        "layers": [{"units": 4, "activation": "relu", "dropout": 0.5},
                   {"units": 1, "activation": "sigmoid"}],
        "loss": "binary_cross_entropy",
        "optimizer": {"name": "momentum", "learning_rate": 0.5},
    })
    trace = trace_step(spec, tiny_data(np.array([1, 0, 1]), "binary"), batch=3)
    first = trace["forward"][0]
    mask = np.array(first["dropout_mask"])
    np.testing.assert_allclose(first["output"], np.array(first["A"]) * mask * 2.0, rtol=1e-6)
    assert set(mask.ravel().tolist()) <= {0.0, 1.0}
    assert "velocity_W" in trace["update"]["state"]["layers"][0]
    json.dumps(trace, allow_nan=False)


def test_trace_refuses_networks_and_batches_too_big_to_read() -> None:
    big = parse_spec({"layers": [{"units": 128, "activation": "relu"},
                                 {"units": 1, "activation": "linear"}],
                      "loss": "mse", "optimizer": {"name": "sgd", "learning_rate": 0.1}})
    data = tiny_data(np.zeros((3, 1)), "regression")
    with pytest.raises(ValueError, match="at most 256"):
        trace_step(big, data)
    data.X_train, data.y_train = np.zeros((40, 2)), np.zeros((40, 1))
    with pytest.raises(ValueError, match="tiny batches: 40 rows"):
        trace_step(tiny_spec("linear", "mse"), data, batch=40)
