"""The live instruments through a real worker, Redis and Uvicorn: frames, layers, terrain."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest
from django.conf import settings
from django.test import Client

from challenges.models import Run, RunBoundaryFrame, RunStatus, RunTerrain, TerrainStatus
from challenges.services.lab import lab_submit
from tests.challenges.test_live import receive, receive_until, submit_over_http, ws
from tests.support import stack
from tests.support.factories import blobs_spec, make_challenge, make_user

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]

FINAL = {"succeeded", "diverged", "failed", "timed_out", "cancelled"}


def cookie(user) -> dict[str, str]:
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    return {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session}"}


def wait_for_terrain(**lookup) -> RunTerrain:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        terrain = RunTerrain.objects.filter(**lookup).first()
        if terrain is not None and terrain.status != TerrainStatus.PENDING:
            return terrain
        time.sleep(0.2)
    raise AssertionError(f"no terrain for {lookup} in 90 s")


def test_a_2d_run_streams_frames_and_layers_in_order_and_its_snapshot_ends_on_the_last_frame():
    challenge, owner, stranger = make_challenge(slug="inst-live"), make_user(), make_user()
    epochs = 1500
    with stack.celery_worker(concurrency=1), stack.asgi_server() as (_server, port):
        run_id = submit_over_http(port, owner, challenge, blobs_spec(epochs=epochs))
        with ws(port, f"/ws/runs/{run_id}/", **cookie(owner)) as mine, \
                ws(port, f"/ws/runs/{run_id}/", **cookie(stranger)) as theirs:
            snapshot = receive(mine)
            assert snapshot["type"] == "run.snapshot"
            assert snapshot["instruments"]["boundary"]["points"]["task"] == "multiclass"
            messages = receive_until(
                mine, lambda m: m["type"] == "run.status" and m["status"] in FINAL)
            others = receive_until(
                theirs, lambda m: m["type"] == "run.status" and m["status"] in FINAL)
            stranger_snapshot = others[0]
        with ws(port, f"/ws/runs/{run_id}/", **cookie(owner)) as after:
            final = receive(after)
        api_owner = httpx.get(f"http://127.0.0.1:{port}/api/runs/{run_id}/instruments/",
                              headers=cookie(owner), timeout=30).json()
        api_stranger = httpx.get(f"http://127.0.0.1:{port}/api/runs/{run_id}/instruments/",
                                 headers=cookie(stranger), timeout=30).json()
        terrain = wait_for_terrain(run_id=run_id)
        with ws(port, f"/ws/runs/{run_id}/") as anonymous:
            with_terrain = receive(anonymous)
    assert messages[-1]["status"] == "succeeded"
    frames = [m["frame"] for m in messages if m["type"] == "run.boundary"]
    assert len(frames) >= 2
    frame_epochs = [f["epoch"] for f in frames]
    assert frame_epochs == sorted(set(frame_epochs)) and frame_epochs[-1] == epochs
    assert frames[-1]["size"] == 48 and frames[-1]["kind"] == "classes"
    samples = [s for m in messages if m["type"] == "run.layers" for s in m["samples"]]
    sample_epochs = [s["epoch"] for s in samples]
    assert sample_epochs == sorted(set(sample_epochs)) and sample_epochs[-1] == epochs
    assert [layer["layer"] for layer in samples[-1]["layers"]] == [1, 2]
    # In order: every frame and sample reached the owner before the final status.
    index = {id(m): i for i, m in enumerate(messages)}
    assert max(index[id(m)] for m in messages if m["type"] in ("run.boundary", "run.layers")) \
        < index[id(messages[-1])]
    # The snapshot after the run carries the last frame; the stored frames end on it too.
    assert final["instruments"]["boundary"]["frames"] == [frames[-1]]
    assert final["instruments"]["layers"][-1]["epoch"] == epochs
    stored = list(RunBoundaryFrame.objects.filter(run_id=run_id).values_list("epoch", flat=True))
    assert stored[0] == 0 and stored[-1] == epochs
    assert [f["epoch"] for f in api_owner["boundary"]["frames"]] == sorted(stored)
    # A stranger sees the boundary (a picture of predictions) but never the layers (depth).
    assert stranger_snapshot["instruments"]["layers"] is None
    assert not [m for m in others if m["type"] == "run.layers"]
    assert [m["frame"]["epoch"] for m in others if m["type"] == "run.boundary"]
    assert api_stranger["layers"] is None and api_stranger["boundary"]["frames"]
    assert api_owner["layers"][-1]["epoch"] == epochs
    # The terrain, computed afterwards by another task, is stored and in the snapshot.
    assert terrain.status == TerrainStatus.READY, terrain.error
    surface = terrain.surface
    assert len(surface["loss"]) == settings.TERRAIN_GRID
    assert surface["runs"] == [run_id] and surface["paths"][0]["epochs"][-1] == epochs
    assert with_terrain["instruments"]["terrain"]["status"] == "ready"


def test_a_labs_three_runs_share_one_terrain_computed_when_the_last_ends():
    challenge, owner = make_challenge(slug="inst-lab"), make_user()
    with stack.celery_worker(concurrency=1):
        runs = lab_submit(user=owner, challenge=challenge, spec=blobs_spec(epochs=200))
        group = runs[0].lab_group
        terrain = wait_for_terrain(lab_group=group)
        assert set(Run.objects.filter(lab_group=group).values_list("status", flat=True)) \
            <= {RunStatus.SUCCEEDED, RunStatus.DIVERGED}
        for run in runs:
            wait_for_terrain(run_id=run.pk)
    assert terrain.status == TerrainStatus.READY, terrain.error
    surface = terrain.surface
    assert surface["runs"] == [run.pk for run in runs]
    assert len(surface["paths"]) == 3 and len(surface["diverged"]) == 3
    assert RunTerrain.objects.filter(lab_group=group).count() == 1
    assert isinstance(group, uuid.UUID)
