"""The database goes away for a moment while a run trains, and enqueueing is atomic.

The blip is PostgreSQL's own: `pg_terminate_backend` on every other connection to the test
database, again and again for a few seconds, as a restart or a failover would. SQLite has no
such thing, so that test runs on PostgreSQL only (CI's `.ci/run` uses it).
"""

from __future__ import annotations

import base64
import json
import time

import pytest
from django.conf import settings
from django.db import connection, transaction

from challenges.models import Run, RunStatus
from challenges.services.queue import TRAIN_TASK
from challenges.services.runs import run_create
from descent.celery import app
from descent.engine.spec import parse_spec
from tests.reliability.support import (
    assert_no_stuck_runs,
    assert_one_clean_record,
    submit,
    training,
    wait_final,
    wait_for,
)
from tests.support import stack
from tests.support.factories import blobs_spec, make_challenge, make_user

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]

postgresql_only = pytest.mark.skipif(
    "connection.vendor != 'postgresql'",
    reason="pg_terminate_backend is PostgreSQL's; CI runs this on PostgreSQL",
)


def terminate_other_backends(seconds: float) -> int:
    """Terminate every other connection to this database, every 50 ms for `seconds`."""
    terminated = 0
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            terminated += cursor.fetchone()[0]
        time.sleep(0.05)
    return terminated


@postgresql_only
def test_a_database_blip_mid_run_is_retried_and_the_record_adds_up():
    challenge = make_challenge(dataset_params={"n_samples": 3000})
    with stack.celery_worker(concurrency=1):
        run_id = submit(make_user(), challenge, blobs_spec(epochs=400))
        wait_for(run_id, training(run_id, attempt=1, epochs=5))
        assert terminate_other_backends(3.0) > 0
        run = wait_final(run_id, timeout=90)
    assert run.status == RunStatus.SUCCEEDED, run.error
    # Retried in place (attempt 1), or handed to a new attempt: one result either way.
    assert_one_clean_record(run, epochs=400)
    assert_no_stuck_runs()


def queued_tasks() -> list[int]:
    """The run ids of the training tasks waiting in this session's run queues."""
    queues = (settings.RUN_QUEUE_SHORT, settings.RUN_QUEUE_LONG, app.conf.task_default_queue)
    with app.connection_for_read() as conn:
        client = conn.default_channel.client
        raw = [message for queue in queues for message in client.lrange(queue, 0, -1)]
    messages = [json.loads(message) for message in raw]
    return [json.loads(base64.b64decode(message["body"]))[0][0] for message in messages
            if message["headers"]["task"] == TRAIN_TASK]


def test_a_rolled_back_submission_enqueues_nothing_and_a_committed_one_exactly_once():
    app.control.purge()
    challenge, user = make_challenge(), make_user()
    spec = parse_spec(blobs_spec())

    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        undone = run_create(owner=user, challenge=challenge, spec=spec, parameter_count=51)
        raise Undo
    assert not Run.objects.filter(pk=undone.pk).exists()
    assert queued_tasks() == []
    kept = run_create(owner=user, challenge=challenge, spec=spec, parameter_count=51)
    assert queued_tasks() == [kept.pk]
