"""Workers that die: a pool child, a whole worker; and a live run that must not be taken over.

Real prefork workers against the test Redis and database. The child-kill test runs no
sweeper: only the redelivered task's immediate take-over can finish the run.
"""

from __future__ import annotations

import os
import signal
import time

import pytest
from django.test import override_settings

from challenges.models import Run, RunStatus
from challenges.services.holder import HeartbeatThread
from challenges.services.runs import run_claim
from challenges.services.sweeper import runs_sweep
from tests.reliability.support import (
    assert_no_stuck_runs,
    assert_one_clean_record,
    kill_holder,
    submit,
    training,
    wait_final,
    wait_for,
)
from tests.support import stack
from tests.support.factories import blobs_spec, make_challenge, make_run, make_user

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]

# ~3 s of training on a quiet machine: long enough to be killed in the middle.
EPOCHS = 400


def slow_challenge():
    return make_challenge(dataset_params={"n_samples": 3000})


def test_a_killed_pool_child_trains_again_at_once_and_finishes_once():
    challenge = slow_challenge()
    with stack.celery_worker(concurrency=1) as (_process, _hostname):
        run_id = submit(make_user(), challenge, blobs_spec(epochs=EPOCHS))
        run = wait_for(run_id, training(run_id, attempt=1, epochs=5))
        killed = kill_holder(run)
        # No beat, no sweeper here: Celery requeues the task, and run_claim must see that the
        # holder is gone although its heartbeat is fresh.
        again = wait_for(run_id, lambda r: r.attempt == 2 or r.is_final, timeout=30)
        assert again.worker_process != f"{again.worker_host}:{killed}"
        run = wait_final(run_id, timeout=60)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert_one_clean_record(run, epochs=EPOCHS)
    assert run.attempt == 2
    assert_no_stuck_runs()


def test_a_killed_worker_is_replaced_and_the_run_finishes_on_the_new_one():
    challenge = slow_challenge()
    with stack.sweeping():
        with stack.celery_worker(concurrency=1) as (first, _hostname):
            run_id = submit(make_user(), challenge, blobs_spec(epochs=EPOCHS))
            wait_for(run_id, training(run_id, attempt=1, epochs=5))
            os.killpg(first.pid, signal.SIGKILL)  # the whole worker, children and all
        # Its task stays unacknowledged in Redis until the visibility timeout (20 min): the
        # sweeper, on its own queue, re-enqueues the silent run for the new worker.
        with stack.celery_worker(concurrency=1, purge=False):
            run = wait_final(run_id, timeout=90)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert_one_clean_record(run, epochs=EPOCHS)
    assert run.attempt == 2
    assert_no_stuck_runs()


def test_a_live_run_whose_epochs_outlast_the_stale_mark_is_not_taken_over():
    """No epoch ends for three stale marks, yet the heartbeat thread keeps the run its own."""
    run_id = make_run(make_challenge(), make_user(), status=RunStatus.QUEUED, val_score=None,
                      test_score=None).pk

    def claim_here() -> Run | None:
        return run_claim(run_id=run_id, worker_host="here", engine_version="t",
                         worker_process="here:2")

    with override_settings(RUN_HEARTBEAT_STALE_SECONDS=1):
        # Held by a process of another host, so only its heartbeat speaks for it.
        held = run_claim(run_id=run_id, worker_host="elsewhere", engine_version="t",
                         worker_process="elsewhere:1")
        assert held is not None and held.attempt == 1
        heartbeat = HeartbeatThread(run_id=run_id, attempt=1, every=0.2)
        heartbeat.start()
        try:
            quiet_until = time.monotonic() + 3
            while time.monotonic() < quiet_until:
                assert claim_here() is None
                assert run_id not in runs_sweep().reenqueued
                time.sleep(0.25)
        finally:
            heartbeat.stop()
        # Silent now: the same claim takes it over once the stale mark has passed.
        deadline = time.monotonic() + 10
        while claim_here() is None:
            assert time.monotonic() < deadline, "a silent run was never taken over"
            time.sleep(0.1)
    run = Run.objects.get(pk=run_id)
    assert run.attempt == 2 and run.worker_process == "here:2"
