"""Fair shares: a builder's runs in flight are capped in the database; the rest wait, in
order, and leave when one of theirs reaches any final state."""

from __future__ import annotations

import itertools
import json
import threading

import pytest
from django.db import connection
from django.test import override_settings
from rest_framework.test import APIClient

from challenges.models import Run, RunStatus
from challenges.selectors.runs import run_queue_place
from challenges.services.runs import RunOutcome, RunRecorder, run_cancel, run_claim, run_finish
from challenges.services.submissions import run_submit
from challenges.services.sweeper import runs_sweep
from tests.challenges.test_training_worker import wait_final
from tests.support import stack
from tests.support.factories import blobs_spec, make_challenge, make_user


def submit(client: APIClient, challenge, seed: int) -> Run:
    response = client.post(f"/api/challenges/{challenge.slug}/submissions/",
                           data=json.dumps({"spec": blobs_spec(epochs=5, seed=seed)}),
                           content_type="application/json")
    assert response.status_code == 201, response.json()
    return Run.objects.get(pk=response.json()["id"])


def burst(count: int) -> tuple[APIClient, list[Run]]:
    challenge, user = make_challenge(daily_quota=20), make_user()
    client = APIClient()
    client.force_authenticate(user)
    return client, [submit(client, challenge, seed) for seed in range(count)]


def waiting(runs: list[Run]) -> list[int | None]:
    return [run_queue_place(Run.objects.get(pk=run.pk)) for run in runs]


def end(run: Run, status: str = RunStatus.SUCCEEDED) -> None:
    claimed = run_claim(run_id=run.pk, worker_host="test", engine_version="test")
    run_finish(recorder=RunRecorder(run_id=run.pk, attempt=claimed.attempt),
               outcome=RunOutcome(status=status, val_score=0.9, test_score=0.9))


@pytest.mark.django_db
@override_settings(MAX_RUNS_IN_FLIGHT_PER_USER=2)
def test_past_the_cap_runs_wait_in_order_and_say_how_many_are_ahead():
    client, runs = burst(5)
    assert waiting(runs) == [None, None, 0, 1, 2]
    answer = client.get(f"/api/runs/{runs[4].pk}/").json()
    assert answer["queue"] == {"waiting": True, "ahead": 2, "max_in_flight": 2}
    page = client.get(f"/runs/{runs[4].pk}/").content.decode()
    assert "Waiting: <span data-field=\"queue_ahead\">2</span> of your runs ahead" in page


@pytest.mark.django_db
@override_settings(MAX_RUNS_IN_FLIGHT_PER_USER=2)
@pytest.mark.parametrize("status", [RunStatus.SUCCEEDED, RunStatus.DIVERGED, RunStatus.FAILED,
                                    RunStatus.CANCELLED])
def test_any_final_state_lets_the_next_waiting_run_go(status):
    _, runs = burst(4)
    end(runs[0], status)
    assert waiting(runs) == [None, None, None, 0]


@pytest.mark.django_db
@override_settings(MAX_RUNS_IN_FLIGHT_PER_USER=1)
def test_cancelling_a_queued_run_frees_its_place_and_a_waiting_one_moves_up():
    _, runs = burst(3)
    run_cancel(run=Run.objects.get(pk=runs[1].pk))  # a waiting one: the last moves up
    assert waiting(runs) == [None, None, 0]
    run_cancel(run=Run.objects.get(pk=runs[0].pk))  # the one in flight: the last goes
    assert waiting(runs) == [None, None, None]
    assert Run.objects.get(pk=runs[2].pk).status == RunStatus.QUEUED


@pytest.mark.django_db
@override_settings(MAX_RUNS_IN_FLIGHT_PER_USER=1)
def test_the_sweeper_never_sends_a_waiting_run_past_the_cap():
    _, runs = burst(3)
    runs_sweep()
    assert waiting(runs) == [None, 0, 1]


@pytest.mark.stack
@pytest.mark.django_db(transaction=True)
@override_settings(MAX_RUNS_IN_FLIGHT_PER_USER=1)
def test_a_burst_trains_one_run_at_a_time_through_a_real_worker():
    _, runs = burst(3)
    # The worker dispatches the next run when one ends: it must run with the same cap.
    with stack.celery_worker(concurrency=2, purge=False, MAX_RUNS_IN_FLIGHT_PER_USER="1"):
        finished = [wait_final(run.pk) for run in runs]
    assert all(run.status == RunStatus.SUCCEEDED for run in finished)
    # Two worker processes, one run in flight at a time: each started after the last ended.
    for before, after in itertools.pairwise(finished):
        assert after.started_at >= before.finished_at, [
            (r.pk, r.attempt, r.enqueued_at, r.started_at, r.finished_at, r.worker_host)
            for r in finished]


@pytest.mark.django_db(transaction=True)
@override_settings(MAX_RUNS_IN_FLIGHT_PER_USER=2)
def test_concurrent_submissions_never_put_more_than_the_cap_in_flight():
    # Eight requests at once from one builder to two challenges (threads, each its own
    # connection; two challenges, so the per-challenge quota lock does not serialise them):
    # the count and the insert happen under the builder's row lock, so exactly two go in flight.
    user = make_user()
    challenges = [make_challenge(daily_quota=20), make_challenge(daily_quota=20)]
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def one(seed: int) -> None:
        try:
            barrier.wait(timeout=30)
            run_submit(user=user, challenge=challenges[seed % 2],
                       spec=blobs_spec(epochs=5, seed=seed))
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(seed,)) for seed in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    runs = list(Run.objects.filter(owner=user).order_by("created_at", "id"))
    assert len(runs) == 8
    assert sorted(waiting(runs), key=lambda place: -1 if place is None else place) == [
        None, None, 0, 1, 2, 3, 4, 5]
