"""Instruments stored, thinned and shown: frames, layer samples, trajectory, visibility."""

from __future__ import annotations

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from challenges.models import (
    Challenge,
    RunBoundaryFrame,
    RunHistoryChunk,
    RunStatus,
    RunTerrain,
    RunTrajectory,
)
from challenges.selectors.instruments import run_instruments, training_points
from challenges.services import instruments as store
from challenges.services.instruments import (
    FRAMES_KEPT,
    LAYER_POINTS,
    InstrumentRecorder,
    trajectory_array,
    trajectory_save,
)
from challenges.services.runs import RunRecorder
from challenges.services.terrain import lab_terrain_request, terrain_request
from tests.support.factories import blobs_spec, make_challenge, make_run, make_user

pytestmark = pytest.mark.django_db


def frame(epoch: int) -> dict:
    return {"epoch": epoch, "bounds": [-1, 1, -1, 1], "size": 2, "encoding": "uint8-base64",
            "kind": "classes", "classes": "AAAA", "confidence": "////"}


def sample(epoch: int) -> dict:
    return {"epoch": epoch, "layers": [{"layer": 1, "grad_rms": 0.1, "weight_rms": 0.5,
                                        "update_ratio": 0.001}]}


def running(challenge=None, **fields):
    challenge = challenge or make_challenge()
    return make_run(challenge, make_user(), status=RunStatus.RUNNING, attempt=1,
                    val_score=None, test_score=None, **fields)


def test_frames_are_thinned_evenly_keeping_the_first_and_the_last(monkeypatch):
    monkeypatch.setattr(store, "FRAMES_KEPT", 10)
    run = running()
    recorder = InstrumentRecorder(run_id=run.pk, attempt=1, epochs=1000)
    recorder.on_boundary(frame(0))
    for epoch in range(1, 100):
        recorder.on_boundary(frame(epoch))
        assert recorder.write_frames()["epoch"] == epoch  # the stream gets each newest one
    recorder.on_boundary(frame(100))
    assert recorder.finish() is True
    kept = list(RunBoundaryFrame.objects.filter(run=run).values_list("epoch", flat=True))
    assert kept[0] == 0 and kept[-1] == 100 and len(kept) <= 11
    gaps = np.diff(kept[1:-1])
    assert gaps.max() <= 2 * gaps.min()  # evenly spread, not all at the end
    assert FRAMES_KEPT >= 100  # the real cap keeps a long run's replay smooth


def test_a_flush_stores_a_few_evenly_picked_frames_and_always_its_newest():
    run = running()
    recorder = InstrumentRecorder(run_id=run.pk, attempt=1, epochs=100)
    for epoch in range(0, 21):
        recorder.on_boundary(frame(epoch))
    assert recorder.write_frames()["epoch"] == 20
    stored = list(RunBoundaryFrame.objects.filter(run=run).values_list("epoch", flat=True))
    assert stored[0] == 0 and stored[-1] == 20 and len(stored) == 1 + store.FRAMES_PER_FLUSH
    assert stored == sorted(stored) and len(set(np.diff(stored[1:]))) <= 2


def test_layer_samples_ride_in_the_history_chunks_on_a_bounded_stride():
    run = running()
    epochs = 10_000
    recorder = RunRecorder(run_id=run.pk, attempt=1, epochs=epochs)
    recorder.instruments = InstrumentRecorder(run_id=run.pk, attempt=1, epochs=epochs)
    for epoch in range(1, 2001):
        recorder.instruments.on_layers(sample(epoch))
        recorder.on_epoch({"epoch": epoch, "train_loss": 1.0, "val_loss": 1.0})
    recorder.instruments.on_layers(sample(2001))
    recorder.buffer.append({"epoch": 2001, "train_loss": 1.0, "val_loss": 1.0})
    recorder.flush()
    assert recorder.instruments.finish() is True
    stored = [s["epoch"] for layers in RunHistoryChunk.objects.filter(run=run)
              .values_list("layers", flat=True) for s in layers]
    stride = epochs // LAYER_POINTS
    assert stored[0] == 1 and all(e % stride == 0 for e in stored[1:-1])
    assert stored[-1] == 2001  # the last sample, off the stride, is kept by finish
    assert len(stored) == len(set(stored)) <= LAYER_POINTS + 2


def test_a_trajectory_is_stored_compactly_and_read_back():
    run = running()
    params = np.random.default_rng(0).normal(size=(100, 1251)).astype(np.float32)
    stored = trajectory_save(run_id=run.pk, attempt=1, epochs=list(range(100)), params=params)
    assert len(stored.epochs) == store.TRAJECTORY_SNAPSHOTS and stored.dtype == "float32"
    assert stored.epochs[0] == 0 and stored.epochs[-1] == 99
    back = trajectory_array(stored)
    assert back.shape == (store.TRAJECTORY_SNAPSHOTS, 1251)
    np.testing.assert_array_equal(back[-1], params[-1])
    assert len(bytes(stored.params)) == back.size * 4


def test_a_huge_trajectory_shrinks_to_the_byte_cap(monkeypatch):
    monkeypatch.setattr(store, "TRAJECTORY_MAX_BYTES", 40_000)
    run = running()
    params = np.ones((10, 5000), dtype=np.float32)
    stored = trajectory_save(run_id=run.pk, attempt=1, epochs=list(range(10)), params=params)
    assert len(bytes(stored.params)) <= 40_000
    assert stored.dtype == "float16" and len(stored.epochs) == 3


def test_finish_writes_nothing_for_an_attempt_that_lost_its_run():
    run = running()
    RunBoundaryFrame.objects.all().delete()
    recorder = InstrumentRecorder(run_id=run.pk, attempt=0, epochs=10)  # an older attempt
    recorder.on_boundary(frame(10))
    assert recorder.finish() is False
    assert not RunBoundaryFrame.objects.filter(run=run).exists()


def test_training_points_are_a_bounded_sample_of_the_training_split_only():
    challenge = make_challenge()
    points = training_points(challenge, limit=50)
    assert len(points["x"]) == len(points["y"]) == len(points["labels"]) == 50
    assert set(points["labels"]) <= {0, 1, 2} and points["task"] == "multiclass"
    wide = make_challenge(dataset="iris")
    assert training_points(wide) is None


def test_a_stranger_sees_the_boundary_and_terrain_but_never_the_layers():
    owner, stranger = make_user(), make_user()
    run = make_run(make_challenge(), owner, attempt=1)
    RunHistoryChunk.objects.create(run=run, attempt=1, first_epoch=1,
                                   records=[{"epoch": 1}], layers=[sample(1)])
    RunBoundaryFrame.objects.create(run=run, attempt=1, epoch=1, frame=frame(1))
    RunTerrain.objects.create(run=run, status="ready", surface={"runs": [run.pk]})
    mine = run_instruments(run, owner, all_frames=True)
    theirs = run_instruments(run, stranger)
    assert mine["layers"] == [sample(1)] and theirs["layers"] is None
    assert theirs["boundary"]["frames"] == [frame(1)]
    assert theirs["terrain"]["status"] == "ready"
    api = APIClient()
    api.force_authenticate(stranger)
    body = api.get(f"/api/runs/{run.pk}/instruments/").json()
    assert body["layers"] is None and body["boundary"]["frames"][0]["epoch"] == 1
    # Shared: now the stranger may see the spec, and the layers with it.
    run.shared = True
    run.save(update_fields=["shared"])
    assert api.get(f"/api/runs/{run.pk}/instruments/").json()["layers"] == [sample(1)]


def test_a_drafts_run_has_no_instruments_for_anyone_but_staff():
    draft = make_challenge(status=Challenge.Status.DRAFT)
    run = make_run(draft, make_user(), attempt=1)
    api = APIClient()
    api.force_authenticate(make_user())
    assert api.get(f"/api/runs/{run.pk}/instruments/").status_code == 404


def test_a_finished_run_asks_once_for_its_terrain_and_its_lab_once_for_the_shared_one():
    import uuid

    challenge, owner, group = make_challenge(), make_user(), uuid.uuid4()
    runs = [make_run(challenge, owner, attempt=1, lab_group=group, ranked=False,
                     status=status) for status in (RunStatus.SUCCEEDED, RunStatus.DIVERGED,
                                                   RunStatus.RUNNING)]
    for run in runs:
        trajectory_save(run_id=run.pk, attempt=1, epochs=[0, 1, 2],
                        params=np.zeros((3, 51), dtype=np.float32))
    assert [t.run_id for t in terrain_request(run=runs[0])] == [runs[0].pk]  # lab not done
    runs[2].status = RunStatus.SUCCEEDED
    runs[2].save(update_fields=["status"])
    asked = terrain_request(run=runs[2])
    assert [t.lab_group for t in asked] == [None, group]
    assert lab_terrain_request(group=group) is None  # asked already: never twice
    assert RunTerrain.objects.filter(lab_group=group).count() == 1


def test_the_run_page_reads_its_instruments_in_a_fixed_number_of_queries(client):
    owner = make_user()
    run = make_run(make_challenge(), owner, attempt=1)
    for first in range(1, 2001, 100):
        RunHistoryChunk.objects.create(run=run, attempt=1, first_epoch=first,
                                       records=[{"epoch": first}], layers=[sample(first)])
    for epoch in range(0, 100):
        RunBoundaryFrame.objects.create(run=run, attempt=1, epoch=epoch, frame=frame(epoch))
    client.force_login(owner)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/runs/{run.pk}/")
    assert response.status_code == 200
    assert response.context["instruments"]["boundary"]["frames"] == [frame(99)]
    assert len(response.context["instruments"]["layers"]) == 20
    assert len(queries) <= 10, [q["sql"] for q in queries]
    assert blobs_spec()["layers"]  # the factory's spec is what the page shows


def test_the_last_sample_waits_for_the_final_flush_when_epochs_are_still_buffered():
    run = running()
    recorder = RunRecorder(run_id=run.pk, attempt=1, epochs=10_000)
    recorder.instruments = InstrumentRecorder(run_id=run.pk, attempt=1, epochs=10_000)
    recorder.instruments.on_layers(sample(1))
    recorder.on_epoch({"epoch": 1, "train_loss": 1.0, "val_loss": 1.0})
    recorder.flush()
    for epoch in (2, 3):  # off the stride of 20
        recorder.instruments.on_layers(sample(epoch))
        recorder.buffer.append({"epoch": epoch, "train_loss": 1.0, "val_loss": 1.0})
    assert recorder.instruments.finish(records_pending=True) is True
    assert recorder.flush() is True  # run_finish's final flush
    chunks = list(RunHistoryChunk.objects.filter(run=run).order_by("first_epoch")
                  .values_list("first_epoch", "layers"))
    assert [(first, [s["epoch"] for s in layers]) for first, layers in chunks] == [
        (1, [1]), (2, [3])]


@pytest.mark.django_db(transaction=True)
def test_finish_is_retried_whole_through_a_database_blip(monkeypatch):
    # CI caught it: a run that ended during a blip lost its finish to an unretried query.
    from django.db import OperationalError

    run = running()
    real_save, calls = store.trajectory_save, []

    def save_after_a_blip(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("terminating connection due to administrator command")
        return real_save(**kwargs)

    monkeypatch.setattr(store, "trajectory_save", save_after_a_blip)
    recorder = InstrumentRecorder(run_id=run.pk, attempt=1, epochs=10)
    recorder.on_boundary(frame(10))

    class Trajectory:
        epochs = list(range(10))
        params = np.ones((10, 51), dtype=np.float32)

    assert recorder.finish(trajectory=Trajectory()) is True
    assert len(calls) == 2
    assert RunTrajectory.objects.filter(run=run, attempt=1).count() == 1
