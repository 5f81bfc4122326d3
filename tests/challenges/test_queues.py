"""Queues by size: a run goes to `short` or `long` by its budget estimate, and a worker on
one queue never takes the other's runs."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.test import override_settings
from rest_framework.test import APIClient

from challenges.models import Run, RunStatus
from challenges.services.queue import run_queue
from challenges.services.runs import work_estimate
from descent.engine.spec import parse_spec
from descent.stack.servers import WorkerPool, worker_pools
from tests.challenges.test_training_worker import wait_final
from tests.support import stack
from tests.support.factories import blobs_spec, make_challenge, make_user


def submit(user, challenge, spec) -> Run:
    client = APIClient()
    client.force_authenticate(user)
    response = client.post(f"/api/challenges/{challenge.slug}/submissions/",
                           data=json.dumps({"spec": spec}), content_type="application/json")
    assert response.status_code == 201, response.json()
    return Run.objects.get(pk=response.json()["id"])


@pytest.mark.django_db
def test_a_submitted_run_stores_its_budget_estimate_and_picks_its_queue_by_it():
    challenge, user = make_challenge(), make_user()
    small, big = blobs_spec(epochs=10), blobs_spec(epochs=1000)
    threshold = work_estimate(challenge=challenge, spec=parse_spec(big))
    with override_settings(RUN_LONG_WORK_THRESHOLD=threshold):
        quick, heavy = submit(user, challenge, small), submit(user, challenge, big)
        assert quick.estimated_work * 100 == heavy.estimated_work == threshold
        assert (run_queue(quick), run_queue(heavy)) == (settings.RUN_QUEUE_SHORT,
                                                        settings.RUN_QUEUE_LONG)


def test_make_run_starts_a_worker_per_queue_or_one_for_all():
    env = {"WORKER_SHORT_CONCURRENCY": "3"}
    assert worker_pools(env, concurrency=2) == [
        WorkerPool("worker", ("celery", "short"), 3), WorkerPool("worker-long", ("long",), 1)]
    assert worker_pools({"WORKER_POOLS": "shared"}, concurrency=2) == [
        WorkerPool("worker", (), 2)]
    with pytest.raises(ValueError, match="WORKER_POOLS='both'"):
        worker_pools({"WORKER_POOLS": "both"}, concurrency=2)


@pytest.mark.stack
@pytest.mark.django_db(transaction=True)
def test_a_heavy_run_waits_for_a_long_worker_while_quick_runs_pass_it():
    challenge, user = make_challenge(daily_quota=10), make_user()
    heavy_spec = blobs_spec(epochs=30, seed=2)
    threshold = work_estimate(challenge=challenge, spec=parse_spec(heavy_spec))
    with override_settings(RUN_LONG_WORK_THRESHOLD=threshold):
        heavy = submit(user, challenge, heavy_spec)
        quick = [submit(user, challenge, blobs_spec(epochs=5, seed=seed)) for seed in (3, 4)]
    # Only a short worker: the quick runs finish, the heavy one is left for a long worker.
    with stack.celery_worker(queues=settings.RUN_QUEUE_SHORT, purge=False) as _short:
        assert all(wait_final(run.pk).status == RunStatus.SUCCEEDED for run in quick)
        assert Run.objects.get(pk=heavy.pk).status == RunStatus.QUEUED
    with stack.celery_worker(queues=settings.RUN_QUEUE_LONG, purge=False) as _long:
        assert wait_final(heavy.pk).status == RunStatus.SUCCEEDED
