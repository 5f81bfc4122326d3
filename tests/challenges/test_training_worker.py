"""The core loop through a real Celery worker and Redis: submit, train, finish, rank.

Nothing is lost (stale heartbeats are swept, redelivered tasks do nothing twice) and every
accepted run reaches exactly one final status.
"""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from challenges.models import Run, RunHistoryChunk, RunStatus
from challenges.selectors.history import run_history
from challenges.selectors.leaderboards import leaderboard_get
from challenges.services.queue import TRAIN_TASK
from challenges.services.sweeper import runs_sweep
from descent.celery import app
from tests.support import stack
from tests.support.factories import blobs_spec, make_challenge, make_run, make_user

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]


def submit(user, challenge, spec) -> int:
    client = APIClient()
    client.force_authenticate(user)
    response = client.post(f"/api/challenges/{challenge.slug}/submissions/",
                           data=json.dumps({"spec": spec}), content_type="application/json")
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def wait_for(run_id: int, predicate, timeout: float = 60.0) -> Run:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = Run.objects.get(pk=run_id)
        if predicate(run):
            return run
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} stuck as {run.status} after {timeout} s: {run.error}")


def wait_final(run_id: int, timeout: float = 60.0) -> Run:
    return wait_for(run_id, lambda run: run.is_final, timeout)


@pytest.fixture
def worker():
    with stack.celery_worker(concurrency=2) as (process, hostname):
        yield process, hostname


def test_a_submitted_run_trains_to_succeeded_with_its_full_history_and_ranks(worker):
    challenge, user = make_challenge(), make_user("ada")
    run = wait_final(submit(user, challenge, blobs_spec(epochs=25)))
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.attempt == 1
    history = run_history(run)
    assert [record["epoch"] for record in history] == list(range(1, 26))
    assert {"train_loss", "val_loss", "accuracy"} <= set(history[0])
    assert run.val_score > 0.8 and run.test_score > 0.8
    assert run.engine_version and run.worker_host and run.finished_at
    assert [entry.user for entry in leaderboard_get(challenge=challenge)] == ["ada"]


def test_a_huge_learning_rate_diverges_with_the_lesson_and_never_ranks(worker):
    challenge, user = make_challenge(), make_user()
    spec = blobs_spec(optimizer={"name": "sgd", "learning_rate": 1e6},
                      layers=[{"units": 8, "activation": "linear"},
                              {"units": 3, "activation": "softmax"}], epochs=50)
    run = wait_final(submit(user, challenge, spec))
    assert run.status == RunStatus.DIVERGED
    assert "exploded" in run.error and "learning_rate" in run.error
    assert run.val_score is None
    assert leaderboard_get(challenge=challenge) == []


def test_cancel_mid_run_takes_effect_within_an_epoch_and_keeps_the_history(worker):
    challenge, user = make_challenge(dataset_params={"n_samples": 6000}), make_user()
    run_id = submit(user, challenge, blobs_spec(epochs=10_000))
    wait_for(run_id, lambda run: run.status == RunStatus.RUNNING and run.epochs_done > 0)
    client = APIClient()
    client.force_authenticate(user)
    assert client.post(f"/api/runs/{run_id}/cancel/").status_code == 200
    run = wait_final(run_id, timeout=10)
    assert run.status == RunStatus.CANCELLED
    assert 0 < run.epochs_done < 10_000
    assert len(run_history(run)) == run.epochs_done


def test_the_soft_time_limit_ends_a_run_as_timed_out_with_its_history(worker):
    challenge = make_challenge(time_limit_seconds=2, dataset_params={"n_samples": 6000})
    run = wait_final(submit(make_user(), challenge, blobs_spec(epochs=10_000)), timeout=30)
    assert run.status == RunStatus.TIMED_OUT
    assert "time limit of 2 s" in run.error
    assert run.epochs_done > 0 and len(run_history(run)) == run.epochs_done


def test_a_runaway_spec_fails_on_memory_and_the_worker_keeps_serving():
    challenge = make_challenge(max_parameters=10**9, max_work=10**18)
    user = make_user()
    huge = blobs_spec(layers=[{"units": 4096, "activation": "relu"}] * 4
                      + [{"units": 3, "activation": "softmax"}], epochs=1)
    with stack.celery_worker(concurrency=1, WORKER_MEMORY_LIMIT_MB="700") as (process, name):
        run = wait_final(submit(user, challenge, huge))
        assert run.status == RunStatus.FAILED
        assert "more memory than a worker allows (700 MiB)" in run.error
        assert process.poll() is None
        small = wait_final(submit(user, challenge, blobs_spec(epochs=5)))
        assert small.status == RunStatus.SUCCEEDED
        assert app.control.ping(destination=[name], timeout=2)


def test_a_task_delivered_twice_gives_one_result(worker):
    challenge, user = make_challenge(), make_user()
    run_id = submit(user, challenge, blobs_spec(epochs=300))
    # The same task again, as a redelivery would, while the first is training; and once more
    # after it finished. Both say they did nothing.
    again = app.send_task(TRAIN_TASK, args=[run_id], ignore_result=False)
    assert again.get(timeout=60).startswith("skipped")
    run = wait_final(run_id)
    late = app.send_task(TRAIN_TASK, args=[run_id], ignore_result=False)
    assert late.get(timeout=60).startswith("skipped")
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED
    assert run.attempt == 1
    assert set(RunHistoryChunk.objects.filter(run=run).values_list("attempt", flat=True)) == {1}
    assert len(run_history(run)) == 300


def test_a_run_whose_worker_died_is_swept_and_completed_as_the_next_attempt(worker):
    challenge, user = make_challenge(), make_user()
    long_ago = timezone.now() - dt.timedelta(minutes=10)
    run = make_run(challenge, user, status=RunStatus.RUNNING, val_score=None,
                   test_score=None, attempt=1, heartbeat_at=long_ago, started_at=long_ago,
                   enqueued_at=long_ago)
    # What the dead attempt left behind must not survive into the final history.
    RunHistoryChunk.objects.create(run=run, attempt=1, first_epoch=1,
                                   records=[{"epoch": 1, "train_loss": 9.0}])
    with override_settings(RUN_HEARTBEAT_STALE_SECONDS=60):
        assert runs_sweep().reenqueued == [run.pk]
        assert runs_sweep().reenqueued == []  # once per stale period, not every sweep
    run = wait_final(run.pk)
    assert run.status == RunStatus.SUCCEEDED
    assert run.attempt == 2
    assert set(RunHistoryChunk.objects.filter(run=run).values_list("attempt", flat=True)) == {2}
