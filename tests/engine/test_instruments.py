"""Training with instruments: the same run, plus frames, layer samples and a trajectory."""

import json
from types import SimpleNamespace

import numpy as np
import pytest

from descent.engine import (
    Instruments,
    Trajectory,
    build_model,
    decode_grid,
    load_dataset,
    parse_spec,
    predict_grid,
    train,
)
from descent.engine.training import training_generator

SPIRAL_NET = [
    {"units": 24, "activation": "relu", "dropout": 0.1},
    {"units": 16, "activation": "tanh"},
    {"units": 3, "activation": "softmax"},
]


@pytest.fixture(scope="module")
def spirals():
    return load_dataset("spirals", seed=0)


def spiral_spec(**fields) -> dict:
    raw = {"layers": SPIRAL_NET, "loss": "cross_entropy", "epochs": 12, "seed": 5,
           "optimizer": {"name": "adam", "learning_rate": 0.01}, "l2": 1e-4}
    return parse_spec({**raw, **fields})


def every_instrument(frames: list, samples: list, **settings) -> Instruments:
    return Instruments(on_boundary=frames.append, on_layers=samples.append,
                       trajectory_snapshots=8, **settings)


def test_instruments_leave_the_history_and_the_weights_bit_identical(spirals) -> None:
    plain = train(spiral_spec(), spirals)
    frames, samples = [], []
    watched = train(spiral_spec(), spirals, instruments=every_instrument(frames, samples))
    assert watched.history == plain.history
    assert np.array_equal(watched.model.params, plain.model.params)
    assert watched.diagnoses == plain.diagnoses
    assert frames and samples and watched.trajectory is not None
    assert plain.trajectory is None and plain.instrument_seconds == {}


def test_frames_come_at_epoch_zero_one_every_kth_and_the_last(spirals) -> None:
    frames = []
    result = train(spiral_spec(), spirals,
                   instruments=Instruments(on_boundary=frames.append, boundary_every=5))
    assert [frame["epoch"] for frame in frames] == [0, 1, 5, 10, 12]
    assert result.instrument_seconds["boundary_frames"] == 5
    json.dumps(frames, allow_nan=False)


def test_the_last_frame_is_the_trained_models_boundary(spirals) -> None:
    frames = []
    result = train(spiral_spec(), spirals,
                   instruments=Instruments(on_boundary=frames.append, boundary_size=16))
    last = frames[-1]
    assert last["epoch"] == 12
    grid = predict_grid(result.model, tuple(last["bounds"]), 16)
    np.testing.assert_array_equal(decode_grid(last)["classes"], grid.argmax(axis=2))


def test_frames_chosen_by_cost_stay_sparse_when_frames_are_dear(spirals) -> None:
    # A frame of 96×96 costs several epochs of this small run: with a 1 % share the interval
    # must grow well beyond one epoch, whatever the machine's speed.
    frames = []
    result = train(spiral_spec(epochs=60), spirals,
                   instruments=Instruments(on_boundary=frames.append, boundary_size=96,
                                           share=0.01))
    epochs = [frame["epoch"] for frame in frames]
    assert epochs[:2] == [0, 1] and epochs[-1] == 60
    assert len(epochs) < 20
    assert result.instrument_seconds["boundary_interval"] > 1


def test_boundary_frames_need_two_inputs() -> None:
    data = load_dataset("iris", seed=0)
    spec = parse_spec({"layers": [{"units": 3, "activation": "softmax"}],
                       "loss": "cross_entropy", "optimizer": {"name": "sgd",
                                                              "learning_rate": 0.1}})
    with pytest.raises(ValueError, match="2 inputs; the data has 4"):
        train(spec, data, instruments=Instruments(on_boundary=lambda frame: None))


def test_regression_frames_share_the_targets_range(spirals) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2)).astype(np.float32)
    y = (X[:, :1] * X[:, 1:]).astype(np.float32)
    data = SimpleNamespace(task="regression", n_inputs=2, n_outputs=1, X_train=X[:150],
                           y_train=y[:150], X_val=X[150:], y_val=y[150:])
    spec = parse_spec({"layers": [{"units": 8, "activation": "tanh"},
                                  {"units": 1, "activation": "linear"}],
                       "loss": "mse", "epochs": 3,
                       "optimizer": {"name": "adam", "learning_rate": 0.01}})
    frames = []
    train(spec, data, instruments=Instruments(on_boundary=frames.append))
    expected = [float(y[:150].min()), float(y[:150].max())]
    assert all(frame["kind"] == "values" and frame["range"] == expected for frame in frames)


def test_trajectory_keeps_evenly_spaced_snapshots_within_its_limit(spirals) -> None:
    result = train(spiral_spec(epochs=40), spirals,
                   instruments=Instruments(trajectory_snapshots=8))
    trajectory = result.trajectory
    assert trajectory.epochs == [0, 8, 16, 24, 32, 40]
    assert trajectory.params.shape == (6, result.model.n_parameters)
    np.testing.assert_array_equal(trajectory.params[-1], result.model.params)
    initial = build_model(spiral_spec(), spirals.n_inputs, seed=5)
    np.testing.assert_array_equal(trajectory.params[0], initial.params)


def test_trajectory_thinning_holds_any_length_to_the_limit() -> None:
    trajectory = Trajectory(10, 1, np.dtype(np.float64))
    for epoch in range(0, 1001):
        trajectory.add(epoch, np.array([float(epoch)]))
    trajectory.finish()
    epochs = trajectory.epochs
    assert len(epochs) <= 10
    assert epochs[-1] == 1000 and epochs[0] == 0
    steps = np.diff(epochs[:-1])
    assert len(set(steps.tolist())) == 1  # evenly spaced, the last epoch appended
    np.testing.assert_array_equal(trajectory.params[:, 0], epochs)


def regression_data(n: int = 200) -> SimpleNamespace:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2 * n, 1)).astype(np.float32)
    y = (np.sin(2 * X) + 0.3 * rng.normal(size=X.shape)).astype(np.float32)
    return SimpleNamespace(task="regression", n_inputs=1, n_outputs=1, X_train=X[:n],
                           y_train=y[:n], X_val=X[n:], y_val=y[n:])


def exploding_spec(learning_rate: float) -> dict:
    return parse_spec({
        "layers": [{"units": 16, "activation": "relu"}, {"units": 1, "activation": "linear"}],
        "loss": "mse",
        "optimizer": {"name": "sgd", "learning_rate": learning_rate},
        "batch_size": 20,
        "epochs": 50,
    })


def test_diverged_run_keeps_its_finite_losses_up_to_the_blow_up_and_marks_it() -> None:
    seen = []
    result = train(exploding_spec(3.0), regression_data(), on_epoch=seen.append)
    assert result.status == "diverged"
    assert "diverged in epoch" in result.message
    blew_up, last = result.blew_up_at, result.history[-1]
    assert seen == result.history
    assert last["epoch"] == blew_up["epoch"]
    assert blew_up["detected_in"] == "training" and blew_up["batches"] == 10
    losses = blew_up["batch_losses"]
    assert len(losses) == blew_up["batch"] - 1 > 0
    assert all(np.isfinite(losses))
    assert blew_up["last_finite_loss"] == losses[-1]
    # The explosion is on the record: the last finite losses grow by orders of magnitude.
    assert losses[-1] > 1e6 * losses[0]
    assert last["train_loss"] == pytest.approx(sum(losses) / len(losses))
    assert last["val_loss"] is None and last["r2"] is None
    json.dumps({"history": result.history, "blew_up_at": blew_up}, allow_nan=False)


def test_run_blowing_up_in_its_first_epoch_still_has_one_point_to_draw() -> None:
    data = regression_data()
    result = train(exploding_spec(1e6), data)
    assert result.status == "diverged"
    assert len(result.history) == 1
    record, blew_up = result.history[0], result.blew_up_at
    assert blew_up["epoch"] == 1 and blew_up["batch"] >= 2
    # The first loss on the record is the initial model's on the first shuffled batch.
    order = training_generator(0).permutation(len(data.X_train))[:20]
    initial = build_model(exploding_spec(1e6), 1, seed=0)
    first_loss, _ = initial.loss_and_gradients(data.X_train[order], data.y_train[order])
    assert blew_up["batch_losses"][0] == pytest.approx(first_loss, rel=1e-5)
    assert record["train_loss"] is not None and np.isfinite(record["train_loss"])


def test_overflowing_validation_marks_the_epoch_with_its_whole_training_loss() -> None:
    data = regression_data()
    data.X_val = np.full_like(data.X_val, 1e30)
    result = train(exploding_spec(0.01), data)
    blew_up, record = result.blew_up_at, result.history[0]
    assert result.status == "diverged" and len(result.history) == 1
    assert blew_up["detected_in"] == "validation" and blew_up["batch"] is None
    assert len(blew_up["batch_losses"]) == 10
    assert record["train_loss"] == pytest.approx(np.mean(blew_up["batch_losses"]))
    assert record["val_loss"] is None


def test_successful_run_has_no_blow_up(spirals) -> None:
    assert train(spiral_spec(epochs=2), spirals).blew_up_at is None
