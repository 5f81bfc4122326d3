"""The terrain task's work, in-process: a slice stored for a run, a diverged path leaving it."""

from __future__ import annotations

import numpy as np
import pytest

from challenges.models import RunStatus, RunTerrain, TerrainStatus
from challenges.selectors.datasets import challenge_dataset
from challenges.services.instruments import trajectory_save
from descent.engine import Instruments, parse_spec, train
from tests.support.factories import blobs_spec, make_challenge, make_run, make_user
from workers.terrain import compute_terrain

pytestmark = pytest.mark.django_db


def trained_run(challenge, spec, status):
    run = make_run(challenge, make_user(), attempt=1, status=status, spec=spec)
    result = train(parse_spec(spec), challenge_dataset(challenge), metric="accuracy",
                   instruments=Instruments(trajectory_snapshots=32))
    trajectory_save(run_id=run.pk, attempt=1, epochs=result.trajectory.epochs,
                    params=result.trajectory.params, diverged=result.status == "diverged")
    return run, result


def test_a_runs_terrain_holds_its_path_ending_at_the_origin_in_the_valley():
    challenge = make_challenge()
    run, result = trained_run(challenge, blobs_spec(epochs=60), RunStatus.SUCCEEDED)
    assert result.status == "succeeded"
    terrain = RunTerrain.objects.create(run=run)
    assert compute_terrain(terrain.pk) == "ready"
    terrain.refresh_from_db()
    surface = terrain.surface
    assert terrain.status == TerrainStatus.READY and terrain.seconds > 0
    loss = np.array(surface["loss"], dtype=float)
    assert loss.shape == (25, 25)
    path = np.array(surface["paths"][0]["points"], dtype=float)
    assert np.allclose(path[-1], [0.0, 0.0], atol=1e-3)  # it ends on the final weights
    centre = loss[12, 12]
    assert centre < loss[0, 0] and centre < np.nanmax(loss)  # the valley is where it ends
    assert surface["forward_passes"] <= 500_000 and surface["directions"] == "pca"


def test_a_diverged_runs_path_leaves_the_valley():
    challenge = make_challenge()
    spec = blobs_spec(epochs=50, optimizer={"name": "sgd", "learning_rate": 50.0})
    run, result = trained_run(challenge, spec, RunStatus.DIVERGED)
    assert result.status == "diverged"
    terrain = RunTerrain.objects.create(run=run)
    assert compute_terrain(terrain.pk) == "ready"
    terrain.refresh_from_db()
    surface = terrain.surface
    assert surface["diverged"] == [True]
    points = [p for p in surface["paths"][0]["points"] if p[0] is not None]
    alphas, betas = surface["alphas"], surface["betas"]
    start, end = np.array(points[0]), np.array(points[-1])
    # The last finite weights lie far from where it started: out of the box it spans, or
    # at least much further out than the first step.
    spread = max(alphas[-1] - alphas[0], betas[-1] - betas[0])
    assert np.linalg.norm(end - start) > 0.25 * spread


def test_a_terrain_without_a_trajectory_fails_with_a_reason():
    run = make_run(make_challenge(), make_user(), attempt=1)
    terrain = RunTerrain.objects.create(run=run)
    assert compute_terrain(terrain.pk).startswith("failed")
    terrain.refresh_from_db()
    assert terrain.status == TerrainStatus.FAILED and "trajectory" in terrain.error
