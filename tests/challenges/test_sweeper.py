"""The sweeper gives every run that lost its worker or its task an end."""

from __future__ import annotations

import datetime as dt
import os
import signal
import time

import pytest
from django.test import override_settings
from django.utils import timezone

from challenges.models import RunStatus
from challenges.services.sweeper import runs_sweep
from tests.challenges.test_training_worker import submit, wait_final, wait_for
from tests.support import stack
from tests.support.factories import blobs_spec, make_challenge, make_run, make_user

pytestmark = pytest.mark.django_db


def running(challenge, *, attempt=1, started_ago=600, beat_ago=600):
    now = timezone.now()
    return make_run(
        challenge, make_user(), status=RunStatus.RUNNING, val_score=None, test_score=None,
        attempt=attempt, started_at=now - dt.timedelta(seconds=started_ago),
        heartbeat_at=now - dt.timedelta(seconds=beat_ago),
        enqueued_at=now - dt.timedelta(seconds=started_ago),
    )


def test_a_run_out_of_attempts_fails_with_a_reason_that_refunds_it():
    run = running(make_challenge(time_limit_seconds=3600), attempt=3)
    report = runs_sweep()
    assert report.failed == [run.pk]
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert "stopped responding 3 times" in run.error
    assert "did not count against your quota" in run.error


def test_a_run_that_beat_until_its_time_limit_then_went_silent_timed_out():
    run = running(make_challenge(time_limit_seconds=60), started_ago=600, beat_ago=500)
    assert runs_sweep().timed_out == [run.pk]
    run.refresh_from_db()
    assert run.status == RunStatus.TIMED_OUT
    assert "time limit of 60 s" in run.error


def test_a_live_run_within_its_limit_is_left_alone():
    run = running(make_challenge(time_limit_seconds=3600), started_ago=30, beat_ago=1)
    report = runs_sweep()
    assert run.pk not in report.timed_out + report.failed + report.reenqueued
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING


def test_a_queued_run_whose_task_was_lost_is_enqueued_again_once():
    challenge = make_challenge()
    run = make_run(challenge, make_user(), status=RunStatus.QUEUED, val_score=None,
                   test_score=None, enqueued_at=timezone.now() - dt.timedelta(minutes=10))
    assert runs_sweep().reenqueued == [run.pk]
    assert runs_sweep().reenqueued == []


@pytest.mark.stack
@pytest.mark.django_db(transaction=True)
def test_a_run_whose_pool_process_was_killed_comes_back_and_completes():
    challenge = make_challenge(dataset_params={"n_samples": 3000})
    with stack.celery_worker(concurrency=1, RUN_HEARTBEAT_STALE_SECONDS="2") as (_p, _name):
        run_id = submit(make_user(), challenge, blobs_spec(epochs=400))
        run = wait_for(run_id, lambda r: r.status == RunStatus.RUNNING and r.epochs_done > 5)
        child = int(
            next(pid for pid in os.listdir("/proc") if pid.isdigit()
                 and _is_pool_child(int(pid), _p.pid))
        )
        os.kill(child, signal.SIGKILL)
        deadline = time.monotonic() + 60
        with override_settings(RUN_HEARTBEAT_STALE_SECONDS=2):
            while time.monotonic() < deadline:
                runs_sweep()
                run.refresh_from_db()
                if run.is_final:
                    break
                time.sleep(1)
        run = wait_final(run_id, timeout=60)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.attempt >= 2
    assert run.epochs_done == 400


def _is_pool_child(pid: int, worker_pid: int) -> bool:
    try:
        stat = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return int(stat[1]) == worker_pid
