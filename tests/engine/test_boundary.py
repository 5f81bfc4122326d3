"""The decision boundary: the grid is `predict` row by row, and frames encode it compactly."""

import json
from types import SimpleNamespace

import numpy as np
import pytest

from descent.engine import build_model, decode_grid, grid_bounds, parse_spec, predict_grid
from descent.engine.boundary import boundary_frame, encode_grid, grid_axes, grid_points


def spec_with(last: dict, loss: str, hidden: str = "tanh") -> dict:
    return parse_spec({
        "layers": [{"units": 8, "activation": hidden}, last],
        "loss": loss,
        "optimizer": {"name": "sgd", "learning_rate": 0.1},
    })


MODELS = {
    "multiclass": spec_with({"units": 3, "activation": "softmax"}, "cross_entropy"),
    "binary": spec_with({"units": 1, "activation": "sigmoid"}, "binary_cross_entropy"),
    "regression": spec_with({"units": 1, "activation": "linear"}, "mse", hidden="relu"),
}


@pytest.mark.parametrize("task", MODELS)
def test_grid_prediction_equals_predict_row_by_row(task) -> None:
    model = build_model(MODELS[task], n_inputs=2, seed=3)
    bounds = (-2.0, 1.5, -0.5, 3.0)
    n = 7
    grid = predict_grid(model, bounds, n)
    xs, ys = grid_axes(bounds, n)
    for i, y in enumerate(ys):
        for j, x in enumerate(xs):
            expected = model.predict(np.array([[x, y]]))[0]
            np.testing.assert_allclose(grid[i, j], expected.squeeze(), rtol=1e-6, atol=1e-7)
    assert grid.shape == ((n, n, 3) if task == "multiclass" else (n, n))


def test_grid_cells_are_centred_in_the_bounds_with_row_zero_at_the_bottom() -> None:
    xs, ys = grid_axes((0.0, 4.0, 10.0, 12.0), 4)
    np.testing.assert_allclose(xs, [0.5, 1.5, 2.5, 3.5])
    np.testing.assert_allclose(ys, [10.25, 10.75, 11.25, 11.75])
    points = grid_points((0.0, 4.0, 10.0, 12.0), 4)
    np.testing.assert_allclose(points[1], [1.5, 10.25])
    np.testing.assert_allclose(points[4], [0.5, 10.75])


def test_grid_bounds_wrap_the_points_with_a_margin() -> None:
    X = np.array([[0.0, -1.0], [2.0, 3.0], [1.0, 0.0]])
    assert grid_bounds(X, 0.1) == pytest.approx((-0.2, 2.2, -1.4, 3.4))
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        grid_bounds(np.zeros((3, 3)))


def test_predict_grid_refuses_a_model_without_two_inputs() -> None:
    model = build_model(MODELS["regression"], n_inputs=3, seed=0)
    with pytest.raises(ValueError, match="2 inputs; this one has 3"):
        predict_grid(model, (0.0, 1.0, 0.0, 1.0), 4)


def test_classification_frame_decodes_to_the_argmax_and_its_probability() -> None:
    model = build_model(MODELS["multiclass"], n_inputs=2, seed=1)
    grid = predict_grid(model, (-3.0, 3.0, -3.0, 3.0), 12)
    decoded = decode_grid(encode_grid(grid, "multiclass"))
    np.testing.assert_array_equal(decoded["classes"], grid.argmax(axis=2))
    np.testing.assert_allclose(decoded["confidence"], grid.max(axis=2), atol=1 / 510 + 1e-9)


def test_binary_frame_colours_by_the_more_likely_class() -> None:
    grid = np.array([[0.1, 0.5], [0.75, 0.98]])
    decoded = decode_grid(encode_grid(grid, "binary"))
    np.testing.assert_array_equal(decoded["classes"], [[0, 1], [1, 1]])
    np.testing.assert_allclose(decoded["confidence"], [[0.9, 0.5], [0.75, 0.98]], atol=1 / 510)


def test_regression_frame_scales_values_into_its_range_and_clips_outside_it() -> None:
    grid = np.array([[-1.0, 0.0], [0.5, 7.0]])
    frame = encode_grid(grid, "regression", value_range=(-1.0, 1.0))
    assert frame["range"] == [-1.0, 1.0]
    np.testing.assert_allclose(decode_grid(frame)["values"], [[-1.0, 0.0], [0.5, 1.0]],
                               atol=2 / 510)


def test_a_48_by_48_frame_is_strict_json_of_about_six_kilobytes() -> None:
    model = build_model(MODELS["multiclass"], n_inputs=2, seed=0)
    frame = boundary_frame(model, (-1.0, 1.0, -1.0, 1.0), 48, task="multiclass", epoch=5)
    text = json.dumps(frame, allow_nan=False)
    assert frame["epoch"] == 5 and frame["size"] == 48
    assert len(frame["classes"]) == len(frame["confidence"]) == 4 * 48 * 48 // 3
    assert 6144 < len(text) < 6500


def test_frame_of_a_model_with_overflowing_outputs_is_still_strict_json() -> None:
    model = build_model(MODELS["regression"], n_inputs=2, seed=0)
    model.params[:] = 1e30
    data = SimpleNamespace(task="regression")
    with np.errstate(all="ignore"):
        frame = boundary_frame(model, (-1.0, 1.0, -1.0, 1.0), 4, task=data.task, epoch=1,
                               value_range=(0.0, 1.0))
    json.dumps(frame, allow_nan=False)
    assert decode_grid(frame)["values"].shape == (4, 4)
