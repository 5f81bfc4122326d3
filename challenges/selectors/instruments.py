"""What a run's instruments show a viewer: frames, layer statistics, the terrain, the points.

Who sees what (checked here, for the API, the page and the stream alike):

- the decision boundary, the training points under it and the terrain are pictures of the
  run's predictions and losses, like its loss curve: everyone who may see the run;
- the layer statistics name every layer, so they show the network's depth, a part of the
  spec: only viewers who may see the spec (`run_spec_visible`), else None;
- the weights (the stored trajectory) never leave the server.

Training points are a bounded, evenly spaced sample of the training split (never a
validation or test label).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from challenges.models import (
    Challenge,
    Run,
    RunBoundaryFrame,
    RunStatus,
    RunTerrain,
    RunTrajectory,
    TerrainStatus,
)
from challenges.selectors.datasets import challenge_dataset
from challenges.selectors.history import run_layer_samples
from challenges.selectors.visibility import run_spec_visible

TRAINING_POINTS = 300
LAYER_POINTS_SHOWN = 300


def training_points(challenge: Challenge, *, limit: int = TRAINING_POINTS
                    ) -> dict[str, Any] | None:
    """Return up to `limit` training points of a 2-input challenge (None for other data).

    `{"x": [...], "y": [...], "labels": [...], "task"}`: labels are class indices for
    classification, target values (the first output) for regression; 4 decimals.
    """
    data = challenge_dataset(challenge)
    if data.n_inputs != 2:
        return None
    n = len(data.X_train)
    index = np.unique(np.linspace(0, n - 1, min(limit, n)).round().astype(int))
    X = data.X_train[index]
    y = np.asarray(data.y_train)[index]
    if data.task == "regression":
        labels = [round(float(v), 4) for v in np.asarray(y, dtype=float).reshape(len(y), -1)[:, 0]]
    else:
        labels = [int(v) for v in y]
    return {"task": data.task, "x": [round(float(v), 4) for v in X[:, 0]],
            "y": [round(float(v), 4) for v in X[:, 1]], "labels": labels}


def boundary_frames(run: Run) -> list[dict[str, Any]]:
    """Return the current attempt's stored frames, in epoch order (one query)."""
    return list(RunBoundaryFrame.objects.filter(run_id=run.pk, attempt=run.attempt)
                .order_by("epoch").values_list("frame", flat=True))


def latest_frame(run: Run) -> dict[str, Any] | None:
    """Return the current attempt's newest frame, or None."""
    return (RunBoundaryFrame.objects.filter(run_id=run.pk, attempt=run.attempt)
            .order_by("-epoch").values_list("frame", flat=True).first())


def terrain_data(terrain: RunTerrain | None) -> dict[str, Any] | None:
    """Describe a terrain: `{"status", "error", "surface", "seconds"}`, or None if none."""
    if terrain is None:
        return None
    return {"status": terrain.status, "error": terrain.error or None,
            "surface": terrain.surface, "seconds": terrain.seconds}


def run_terrain(run: Run) -> dict[str, Any] | None:
    """Return the terrain of one run (not its lab's), or None if none was asked for."""
    return terrain_data(RunTerrain.objects.filter(run_id=run.pk).first())


def lab_terrain(group: Any) -> dict[str, Any] | None:
    """Return the lab's shared terrain, or None if none was asked for yet."""
    return terrain_data(RunTerrain.objects.filter(lab_group=group).first())


def run_instruments(run: Run, viewer: Any, *, all_frames: bool = False) -> dict[str, Any]:
    """Return what `viewer` may see of a run's instruments.

    `{"boundary": {"frames": [...], "points": ...} | None, "layers": [...] | None,
    "terrain": ... | None}`; `all_frames=False` (the stream's snapshot) sends the newest
    frame only, True (the API, the page's replay) every stored one.
    """
    points = training_points(run.challenge)
    boundary = None
    if points is not None:
        frames = boundary_frames(run) if all_frames else [
            frame for frame in [latest_frame(run)] if frame is not None]
        boundary = {"frames": frames, "points": points}
    layers = (run_layer_samples(run, points=LAYER_POINTS_SHOWN)
              if run_spec_visible(run, viewer) else None)
    return {"boundary": boundary, "layers": layers, "terrain": run_terrain(run)}


def terrain_expected(run: Run, terrain: dict[str, Any] | None) -> bool:
    """Tell whether a finished run's terrain is still to come (pending, or about to be)."""
    if terrain is not None:
        return terrain["status"] == TerrainStatus.PENDING
    return (run.status in (RunStatus.SUCCEEDED, RunStatus.DIVERGED)
            and RunTrajectory.objects.filter(run=run).exists())
