"""Verified entries: a second worker re-trains runs and flags the ones whose record is off.

The stack test runs real Celery workers on the test Redis: the check of a matching run ends
"reproduced", the check of a run whose history was edited in the database ends "mismatch"
with the figures, and a worker that trained a run hands its check to another worker.
"""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from challenges.models import (
    Challenge,
    Run,
    RunHistoryChunk,
    RunStatus,
    RunVerification,
    VerificationStatus,
)
from challenges.selectors.datasets import challenge_dataset
from challenges.services.verification import (
    verification_request,
    verification_request_top,
    verification_sweep,
)
from descent.engine import dataset_hash
from tests.support import stack
from tests.support.factories import blobs_spec, make_challenge, make_run, make_user


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def submit(user, challenge, spec) -> int:
    response = api(user).post(f"/api/challenges/{challenge.slug}/submissions/",
                              data=json.dumps({"spec": spec}), content_type="application/json")
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def wait_for(predicate, what: str, timeout: float = 90.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def checked(run_id: int) -> RunVerification:
    return wait_for(lambda: RunVerification.objects.filter(
        run_id=run_id).exclude(status=VerificationStatus.PENDING).first(),
        f"run {run_id}'s verification")


def edit_history(run: Run, *, epoch: int, field: str, factor: float) -> tuple[float, float]:
    """Change one stored value of the run's history in the database; return (old, new)."""
    for chunk in RunHistoryChunk.objects.filter(run=run, attempt=run.attempt):
        for record in chunk.records:
            if record["epoch"] == epoch:
                old = record[field]
                record[field] = old * factor
                chunk.save(update_fields=["records"])
                return old, record[field]
    raise AssertionError(f"run {run.pk} has no epoch {epoch}")


@pytest.mark.stack
@pytest.mark.django_db(transaction=True)
def test_verification_marks_a_matching_run_and_flags_a_tampered_one():
    challenge = make_challenge(slug="verify-close", daily_quota=5)
    ada, bob, staff = make_user("ada"), make_user("bob"), make_user("staff", staff=True)
    with stack.celery_worker() as (_a, trainer):
        ids = [submit(ada, challenge, blobs_spec(epochs=40, seed=3)),
               submit(bob, challenge, blobs_spec(epochs=40, seed=4))]
        runs = [wait_for(lambda i=i: Run.objects.filter(pk=i, status=RunStatus.SUCCEEDED)
                         .first(), f"run {i}") for i in ids]
        expected_hash = dataset_hash(challenge_dataset(challenge))
        for run in runs:  # what a verification needs to explain itself was recorded
            assert run.worker_node == trainer and run.dataset_hash == expected_hash
            assert run.numpy_version and run.blas and run.engine_version

        # The close (its time passed; the beat sweep notices) asks for the top entries.
        Challenge.objects.filter(pk=challenge.pk).update(
            closes_at=timezone.now() - dt.timedelta(seconds=1))
        report = verification_sweep()
        assert report.challenges == ["verify-close"]
        assert verification_sweep().challenges == []  # once per close
        for run in runs:
            check = checked(run.pk)
            assert check.status == VerificationStatus.REPRODUCED, check.detail
            assert check.trigger == "closed"
            assert check.detail["bit_for_bit"] is True
            assert check.detail["values_compared"] == 40 * 5  # epoch, 2 losses, metric, rate
            assert check.detail["largest"] is None and check.detail["differences"] == 0
            assert check.detail["rerun"]["dataset_hash"] == expected_hash
            # Only one worker: it checked its own run, and the detail says so.
            assert check.verifier_node == trainer
            assert check.detail["independence"] == \
                "the same worker node (no other worker answered)"
        board = api().get("/api/challenges/verify-close/leaderboard/?verified=1").json()
        assert board["verified_only"] is True
        assert {e["run"] for e in board["entries"]} == set(ids)
        assert all(e["verification"]["status"] == "reproduced" for e in board["entries"])

        # A second worker that takes only what is sent to it by name: the trainer, which gets
        # every task of the shared queue, must hand the check of its own run on to it.
        with stack.celery_worker(queues=f"{settings.TEST_NAMESPACE}.verifiers") as (_b, other):
            tampered = runs[0]
            old, new = edit_history(tampered, epoch=10, field="val_loss", factor=1 + 1e-7)
            assert api(ada).post(f"/api/runs/{tampered.pk}/verify/").status_code == 403
            response = api(staff).post(f"/api/runs/{tampered.pk}/verify/")
            assert response.status_code == 202, response.json()
            assert response.json()["verification"]["status"] == "pending"
            check = checked(tampered.pk)
    assert check.status == VerificationStatus.MISMATCH, check.detail
    assert check.verifier_node == other != trainer
    assert check.detail["independence"] == "another worker node on the same machine"
    largest = check.detail["largest"]
    assert (largest["epoch"], largest["field"]) == (10, "val_loss")
    assert (largest["recorded"], largest["rerun"]) == (new, old)
    assert largest["absolute"] == pytest.approx(abs(new - old))
    assert largest["relative"] == pytest.approx(1e-7, rel=1e-3)
    assert check.detail["edited"] is True and "changed after the run" in check.detail["why"]
    assert check.detail["differences"] == 1

    # The run API and the leaderboard say so; the verified board keeps bob alone, at his rank.
    assert api().get(f"/api/runs/{tampered.pk}/").json()["verification"]["status"] == \
        "mismatch"
    board = api().get("/api/challenges/verify-close/leaderboard/").json()
    statuses = {e["run"]: e["verification"]["status"] for e in board["entries"]}
    assert statuses == {ids[0]: "mismatch", ids[1]: "reproduced"}
    verified = api().get("/api/challenges/verify-close/leaderboard/?verified=1").json()
    assert [(e["run"], e["rank"]) for e in verified["entries"]] == \
        [(e["run"], e["rank"]) for e in board["entries"] if e["run"] == ids[1]]


@pytest.mark.django_db
def test_only_staff_verify_and_only_finished_runs(admin_user):
    challenge = make_challenge(slug="verify-rules")
    owner = make_user()
    running = make_run(challenge, owner, status=RunStatus.RUNNING, val_score=None)
    done = make_run(challenge, owner)
    assert api(owner).post(f"/api/runs/{done.pk}/verify/").status_code == 403
    assert api().post(f"/api/runs/{done.pk}/verify/").status_code in (401, 403)
    refused = api(admin_user).post(f"/api/runs/{running.pk}/verify/")
    assert refused.status_code == 400
    assert refused.json() == {"run": [f"run #{running.pk} is still running; verify it once it "
                                      "has finished"]}
    assert not RunVerification.objects.exists()
    assert api(admin_user).post(f"/api/runs/{done.pk}/verify/").status_code == 202
    assert RunVerification.objects.get(run=done).status == VerificationStatus.PENDING


@pytest.mark.django_db
def test_a_pending_check_is_not_sent_twice_until_it_is_stale(admin_user):
    challenge = make_challenge(slug="verify-resend")
    run = make_run(challenge, make_user())
    first = verification_request(runs=[run], requested_by=admin_user)[0]
    again = verification_request(runs=[run], requested_by=admin_user)[0]
    assert again.requested_at == first.requested_at
    later = first.requested_at + dt.timedelta(seconds=settings.VERIFY_RESEND_SECONDS + 1)
    assert verification_sweep(now=later).resent == [run.pk]
    assert verification_sweep(now=later).resent == []  # claimed: sent once per stale spell
    RunVerification.objects.filter(run=run).update(status=VerificationStatus.MISMATCH)
    # Asking again after a verdict starts over.
    assert verification_request(runs=[run])[0].status == VerificationStatus.PENDING


@pytest.mark.django_db
def test_the_top_entries_are_the_ones_asked(settings):
    settings.VERIFY_TOP_N = 2
    challenge = make_challenge(slug="verify-top")
    runs = [make_run(challenge, make_user(), val_score=score) for score in (0.5, 0.9, 0.7)]
    checks = verification_request_top(challenge=challenge)
    assert sorted(c.run_id for c in checks) == sorted([runs[1].pk, runs[2].pk])
    challenge.refresh_from_db()
    assert challenge.verification_requested_at is not None


@pytest.mark.django_db
def test_the_verified_filter_takes_yes_or_no_and_names_a_wrong_value():
    challenge = make_challenge(slug="verify-filter")
    make_run(challenge, make_user())
    assert len(api().get("/api/challenges/verify-filter/leaderboard/?verified=0")
               .json()["entries"]) == 1
    assert api().get("/api/challenges/verify-filter/leaderboard/?verified=1").json()[
        "entries"] == []
    wrong = api().get("/api/challenges/verify-filter/leaderboard/?verified=maybe")
    assert wrong.status_code == 400
    assert wrong.json() == {"verified": ["'maybe' is not a yes/no value; use verified=1 or "
                                         "verified=0"]}


@pytest.mark.django_db
def test_admin_actions_ask_for_verifications(admin_client):
    challenge = make_challenge(slug="verify-admin")
    run = make_run(challenge, make_user())
    response = admin_client.post("/admin/challenges/run/", {
        "action": "verify", "_selected_action": [run.pk]}, follow=True)
    assert response.status_code == 200
    assert RunVerification.objects.get(run=run).trigger == "staff"
    RunVerification.objects.all().delete()
    admin_client.post("/admin/challenges/challenge/", {
        "action": "close", "_selected_action": [challenge.pk]}, follow=True)
    challenge.refresh_from_db()
    assert challenge.status == Challenge.Status.CLOSED
    assert RunVerification.objects.get(run=run).trigger == "closed"
