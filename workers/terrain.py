"""Compute a terrain: the loss-surface slice around a finished run (or a lab's three runs).

Runs in its own Celery task, after the run ended, never in the run's time. The slice is the
engine's `shared_surface`: the top two PCA directions of the stored trajectories around the
best final weights, so the runs' projected paths lie (mostly) in the picture; its cost is
capped by `settings.TERRAIN_MAX_FORWARD_PASSES` rows of forward pass (fewer rows per point
when a grid over the whole split would cost more).
"""

from __future__ import annotations

import logging
import time

from django.conf import settings

from challenges.models import RunStatus, RunTerrain, RunTrajectory
from challenges.selectors.datasets import challenge_dataset
from challenges.services.instruments import trajectory_array
from challenges.services.terrain import terrain_fail, terrain_runs, terrain_store
from descent.engine.landscape import shared_surface

log = logging.getLogger(__name__)


def compute_terrain(terrain_id: int) -> str:
    """Compute and store terrain `terrain_id`; return what happened."""
    terrain = RunTerrain.objects.select_related("run__challenge").filter(pk=terrain_id).first()
    if terrain is None:
        return "gone"
    runs = terrain_runs(terrain)
    stored = {t.run_id: t for t in RunTrajectory.objects.filter(run__in=runs)}
    # Only the attempt that finished each run counts.
    drawn = [run for run in runs if run.pk in stored and stored[run.pk].attempt == run.attempt]
    if not drawn:
        terrain_fail(terrain=terrain, error="no stored trajectory to draw")
        return "failed: no trajectory"
    started = time.perf_counter()
    try:
        data = challenge_dataset(drawn[0].challenge)
        trajectories = [trajectory_array(stored[run.pk]) for run in drawn]
        diverged = [run.status == RunStatus.DIVERGED for run in drawn]
        surface = shared_surface(
            drawn[0].spec, data, trajectories, diverged=diverged, n=settings.TERRAIN_GRID,
            max_forward_passes=settings.TERRAIN_MAX_FORWARD_PASSES,
        )
        surface.path_epochs = [list(stored[run.pk].epochs) for run in drawn]
        picture = surface.to_dict()
    except (ValueError, FloatingPointError) as exc:
        terrain_fail(terrain=terrain, error=str(exc))
        return f"failed: {exc}"
    picture["runs"] = [run.pk for run in drawn]
    picture["diverged"] = diverged
    seconds = time.perf_counter() - started
    terrain_store(terrain=terrain, surface=picture, seconds=round(seconds, 4))
    log.info("terrain %s of runs %s: %.3f s, %s forward-pass rows", terrain_id,
             picture["runs"], seconds, picture["forward_passes"])
    return "ready"
