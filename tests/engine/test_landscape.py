"""The terrain: slices of the loss surface, their directions, and paths projected on them."""

import json

import numpy as np
import pytest

from descent.engine import (
    Instruments,
    build_model,
    load_dataset,
    loss_surface,
    parse_spec,
    pca_directions,
    project_path,
    random_directions,
    shared_surface,
    surface_forward_passes,
    train,
)
from descent.engine.landscape import Directions


@pytest.fixture(scope="module")
def moons():
    return load_dataset("moons", seed=0)


def moons_spec(learning_rate: float = 0.05, **fields) -> dict:
    raw = {
        "layers": [{"units": 12, "activation": "tanh"}, {"units": 6, "activation": "relu"},
                   {"units": 1, "activation": "sigmoid"}],
        "loss": "binary_cross_entropy",
        "optimizer": {"name": "sgd", "learning_rate": learning_rate},
        "epochs": 30,
        "seed": 2,
    }
    return parse_spec({**raw, **fields})


def test_filter_normalised_directions_match_each_filters_norm() -> None:
    model = build_model(moons_spec(), n_inputs=2, seed=4)
    directions = random_directions(model, seed=1)
    assert directions.kind == "random" and directions.vectors.shape == (2, model.n_parameters)
    for vector in directions.vectors:
        for layer, (weights, bias) in zip(model.layers, model.layer_slices, strict=True):
            d = vector[weights].reshape(layer.W.shape)
            # Each unit's incoming weights (a column of W) has the norm of the same column.
            np.testing.assert_allclose(np.linalg.norm(d, axis=0),
                                       np.linalg.norm(layer.W, axis=0), rtol=1e-6)
            assert not np.allclose(d, layer.W)  # random, not the weights themselves
            np.testing.assert_array_equal(vector[bias], 0.0)
    assert not np.allclose(directions.vectors[0], directions.vectors[1])


def test_loss_surface_at_the_origin_equals_the_models_loss(moons) -> None:
    spec = moons_spec(l2=0.01)
    result = train(spec, moons)
    model = result.model
    surface = loss_surface(spec, moons, model.params, random_directions(model), n=5, span=0.5)
    expected, _ = model.loss_and_gradients(moons.X_train, moons.y_train)
    expected += model.penalty(0.01)
    assert surface.alphas[2] == 0.0 and surface.betas[2] == 0.0
    assert surface.loss[2, 2] == pytest.approx(expected, rel=1e-6)
    # Away from the trained weights the loss only rises, in every direction of the grid.
    assert surface.loss[2, 2] == surface.loss.min()


def test_surface_points_are_the_loss_at_origin_plus_a_d1_plus_b_d2(moons) -> None:
    spec = moons_spec()
    model = build_model(spec, moons.n_inputs, seed=spec["seed"])
    directions = random_directions(model, seed=3)
    surface = loss_surface(spec, moons, model.params, directions, n=3,
                           span=(-1.0, 0.5, 0.0, 2.0), split="val", rows=50)
    d1, d2 = directions.vectors
    probe = build_model(spec, moons.n_inputs, seed=spec["seed"])
    probe.params[:] = model.params + 0.5 * d1 + 1.0 * d2  # a = alphas[2], b = betas[1]
    expected, _ = probe.loss_and_gradients(moons.X_val[:50], moons.y_val[:50])
    assert surface.loss[1, 2] == pytest.approx(expected, rel=1e-5)
    assert surface.rows == 50 and surface.forward_passes == 9 * 50 == surface_forward_passes(3, 50)


def test_forward_pass_budget_bounds_the_rows_evaluated(moons) -> None:
    spec = moons_spec()
    model = build_model(spec, moons.n_inputs, seed=0)
    surface = loss_surface(spec, moons, model.params, random_directions(model), n=4,
                           max_forward_passes=16 * 30)
    assert surface.rows == 30 and surface.forward_passes <= 16 * 30
    with pytest.raises(ValueError, match="at least 16 forward passes"):
        loss_surface(spec, moons, model.params, random_directions(model), n=4,
                     max_forward_passes=15)


@pytest.mark.parametrize("kind", ["random", "pca"])
def test_path_projection_recovers_the_coordinates_of_points_in_the_plane(kind) -> None:
    rng = np.random.default_rng(0)
    origin = rng.normal(size=40)
    if kind == "random":
        directions = Directions("random", rng.normal(size=(2, 40)))  # not orthogonal
    else:
        directions = pca_directions(origin + rng.normal(size=(10, 40)), origin)
    d1, d2 = directions.vectors
    points = np.array([origin, origin + 0.3 * d1 - 2.0 * d2, origin - 1.5 * d1])
    np.testing.assert_allclose(project_path(points, origin, directions),
                               [[0.0, 0.0], [0.3, -2.0], [-1.5, 0.0]], atol=1e-10)


def test_pca_directions_are_orthonormal_and_follow_the_path() -> None:
    # A path along e0 with a small wobble along e1: the plane is (e0, e1), d1 nearly ±e0.
    t = np.linspace(-1.0, 0.0, 11)
    path = np.zeros((11, 5))
    path[:, 0] = 3.0 * t
    path[:, 1] = 0.2 * np.sin(7 * t)
    directions = pca_directions(path, origin=path[-1])
    np.testing.assert_allclose(directions.vectors @ directions.vectors.T, np.eye(2), atol=1e-12)
    assert abs(directions.vectors[0, 0]) > 0.999
    np.testing.assert_allclose(directions.vectors[:, 2:], 0.0, atol=1e-12)
    assert directions.explained_variance[0] > 0.95
    coordinates = project_path(path, path[-1], directions)
    assert coordinates[0, 0] < 0 and coordinates[0, 1] <= 0  # the run starts on the left


def test_a_run_trajectory_descends_into_its_slice(moons) -> None:
    spec = moons_spec()
    result = train(spec, moons, instruments=Instruments(trajectory_snapshots=16))
    surface = shared_surface(spec, moons, [result.trajectory], n=9)
    path = surface.paths[0]
    assert surface.path_epochs == [result.trajectory.epochs]
    np.testing.assert_allclose(path[-1], [0.0, 0.0], atol=1e-9)  # it ends at the origin
    assert surface.alphas[0] <= path[:, 0].min() and path[:, 0].max() <= surface.alphas[-1]
    assert surface.betas[0] <= path[:, 1].min() and path[:, 1].max() <= surface.betas[-1]
    document = json.dumps(surface.to_dict(), allow_nan=False)
    assert '"directions": "pca"' in document


def test_three_learning_rates_share_one_slice_and_the_diverged_path_leaves_it(moons) -> None:
    runs = [train(moons_spec(rate), moons, instruments=Instruments(trajectory_snapshots=16))
            for rate in (0.005, 0.05, 500.0)]
    assert [run.status for run in runs] == ["succeeded", "succeeded", "diverged"]
    surface = shared_surface(moons_spec(), moons, [run.trajectory for run in runs],
                             diverged=[run.status == "diverged" for run in runs], n=7)
    starts = np.array([path[0] for path in surface.paths])
    np.testing.assert_allclose(starts, starts[[0, 0, 0]], atol=1e-4)  # one seed, one start
    slow, good, wild = surface.paths
    # The slow run crawls: it ends much nearer its start than the good run does.
    assert np.linalg.norm(slow[-1] - slow[0]) < 0.5 * np.linalg.norm(good[-1] - good[0])
    wild_far = np.abs(wild).max()
    assert wild_far > max(abs(surface.alphas).max(), abs(surface.betas).max())
    json.dumps(surface.to_dict(), allow_nan=False)
