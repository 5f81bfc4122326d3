"""The terrain of a finished run, and of a finished lab: asked for, computed elsewhere, stored.

A run that ends (succeeded or diverged) with a stored trajectory gets a `RunTerrain` row
(pending) and a background task (`workers.tasks.compute_terrain`, sent by name once the
transaction commits) that computes the loss-surface slice outside the run's own time; when
the last run of a lab ends, the lab gets one more, a single slice shared by its runs. The
task stores the slice with `terrain_store` (or the reason with `terrain_fail`), and every run
on it hears `run.terrain` on its stream.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from challenges.models import (
    FINAL_STATUSES,
    Run,
    RunStatus,
    RunTerrain,
    RunTrajectory,
    TerrainStatus,
)
from challenges.services.live import publish_run_terrain
from descent.celery import app

TERRAIN_TASK = "workers.tasks.compute_terrain"
TERRAIN_STATUSES = frozenset({RunStatus.SUCCEEDED, RunStatus.DIVERGED})


def _send(terrain: RunTerrain) -> None:
    transaction.on_commit(lambda: app.send_task(TERRAIN_TASK, args=[terrain.pk]))


def terrain_request(*, run: Run) -> list[RunTerrain]:
    """Ask for the terrain of `run` and, if it was its lab's last run to end, of its lab."""
    asked: list[RunTerrain] = []
    with transaction.atomic():
        if run.status in TERRAIN_STATUSES and RunTrajectory.objects.filter(
            run=run, attempt=run.attempt
        ).exists():
            terrain, created = RunTerrain.objects.get_or_create(run=run)
            if not created and terrain.status != TerrainStatus.PENDING:
                RunTerrain.objects.filter(pk=terrain.pk).update(
                    status=TerrainStatus.PENDING, surface=None, error="", finished_at=None)
            _send(terrain)
            asked.append(terrain)
        if run.lab_group is not None:
            lab = lab_terrain_request(group=run.lab_group)
            if lab is not None:
                asked.append(lab)
    return asked


def lab_terrain_request(*, group: uuid.UUID) -> RunTerrain | None:
    """Ask once for a lab's shared terrain, when every run of it has ended."""
    statuses = set(Run.objects.filter(lab_group=group).values_list("status", flat=True))
    if not statuses or not statuses <= FINAL_STATUSES or not statuses & TERRAIN_STATUSES:
        return None
    try:
        with transaction.atomic():
            terrain = RunTerrain.objects.create(lab_group=group)
    except IntegrityError:  # another worker's run was the last one too: it asked already
        return None
    _send(terrain)
    return terrain


def terrain_runs(terrain: RunTerrain) -> list[Run]:
    """Return the runs a terrain draws: its run, or its lab's runs (lowest id first)."""
    if terrain.run_id is not None:
        return [terrain.run]
    return list(Run.objects.filter(lab_group=terrain.lab_group).select_related("challenge")
                .order_by("id"))


def terrain_store(*, terrain: RunTerrain, surface: dict[str, Any], seconds: float) -> None:
    """Store a computed slice and tell every run on it."""
    with transaction.atomic():
        RunTerrain.objects.filter(pk=terrain.pk).update(
            status=TerrainStatus.READY, surface=surface, error="", seconds=seconds,
            finished_at=timezone.now())
        publish_run_terrain(run_ids=surface["runs"], terrain={
            "status": TerrainStatus.READY, "lab": str(terrain.lab_group or "") or None,
            "terrain": surface})


def terrain_fail(*, terrain: RunTerrain, error: str) -> None:
    """Record why a terrain could not be computed, and tell the runs on it."""
    with transaction.atomic():
        RunTerrain.objects.filter(pk=terrain.pk).update(
            status=TerrainStatus.FAILED, error=error[:2000], finished_at=timezone.now())
        publish_run_terrain(run_ids=[run.pk for run in terrain_runs(terrain)], terrain={
            "status": TerrainStatus.FAILED, "lab": str(terrain.lab_group or "") or None,
            "error": error[:2000]})
