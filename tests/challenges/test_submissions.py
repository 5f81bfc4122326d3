"""Submitting specs over the API: validation, budgets, limits, quota (no worker needed)."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from challenges.models import Challenge, Run, RunStatus
from tests.support.factories import blobs_spec, make_challenge, make_run, make_user

pytestmark = pytest.mark.django_db


def api_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def submit(client: APIClient, challenge: Challenge, body) -> object:
    return client.post(f"/api/challenges/{challenge.slug}/submissions/",
                       data=json.dumps(body), content_type="application/json")


def test_a_valid_spec_is_accepted_as_a_queued_run_with_its_normalised_spec():
    challenge, user = make_challenge(), make_user()
    response = submit(api_for(user), challenge, {"spec": blobs_spec(), "note": "first try"})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "queued"
    assert body["url"] == f"/runs/{body['id']}/"
    run = Run.objects.get(pk=body["id"])
    assert run.spec["optimizer"]["beta1"] == 0.9  # defaults filled by the engine's parser
    assert run.note == "first try"
    assert body["quota"]["left"] == challenge.daily_quota - 1


def test_a_spec_that_does_not_fit_the_task_names_the_field_and_the_fix():
    challenge, user = make_challenge(slug="blobs-fit"), make_user()
    spec = blobs_spec(layers=[{"units": 8, "activation": "relu"},
                              {"units": 2, "activation": "softmax"}])
    response = submit(api_for(user), challenge, {"spec": spec})
    assert response.status_code == 400
    message = response.json()["layers[1].units"][0]
    assert "challenge 'blobs-fit' has 3 classes" in message
    assert "2 units" in message
    assert not Run.objects.exists()


def test_a_spec_over_budget_names_the_budget_and_the_figure():
    challenge = make_challenge(max_parameters=50, max_epochs=10)
    response = submit(api_for(make_user()), challenge, {"spec": blobs_spec(epochs=20)})
    assert response.status_code == 400
    errors = response.json()
    assert "51 parameters" in errors["budget.max_parameters"][0]
    assert "allows 50" in errors["budget.max_parameters"][0]
    assert "budget of 10" in errors["epochs"][0]


def test_unknown_keys_in_the_body_and_in_the_spec_are_errors():
    challenge, client = make_challenge(), api_for(make_user())
    response = submit(client, challenge, {"spec": blobs_spec(), "notes": "typo"})
    assert response.status_code == 400
    assert "notes" in response.json()
    response = submit(client, challenge, {"spec": blobs_spec(learning_rate=0.1)})
    assert response.status_code == 400
    assert "learning_rate" in response.json()


@pytest.mark.parametrize(
    ("body", "status", "expected"),
    [
        ("[" * 100_000 + "]" * 100_000, 400, "nested"),
        ('{"spec": ' + "[" * 40 + "]" * 40 + "}", 400, "nested deeper than 32"),
        (json.dumps({"spec": blobs_spec(), "note": "x" * 300_000}), 413, "over 262,144 bytes"),
        ('{"spec": {"epochs": NaN}}', 400, "NaN is not valid JSON"),
        ("{not json", 400, "invalid JSON at line 1, column 2"),
        ("", 400, "spec"),
        ('{"spec": {"l2": ' + "9" * 5000 + "}}", 400, "5,000 digits"),
        ('{"spec": {"l2": 1e999}}', 400, "numbers must be finite"),
    ],
)
def test_hostile_bodies_get_a_400_or_413_never_a_500(body, status, expected):
    challenge = make_challenge()
    response = api_for(make_user()).post(
        f"/api/challenges/{challenge.slug}/submissions/", data=body,
        content_type="application/json",
    )
    assert response.status_code == status
    assert expected in json.dumps(response.json())


def test_a_number_no_float_holds_is_named_by_its_field():
    body = '{"spec": {"version": 1, "optimizer": {"name": "sgd", "learning_rate": 1e999}}}'
    response = api_for(make_user()).post(
        f"/api/challenges/{make_challenge().slug}/submissions/", data=body,
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "numbers must be finite" in response.json()["spec.optimizer.learning_rate"][0]


def test_anonymous_submissions_are_refused_with_401():
    response = submit(api_for(), make_challenge(), {"spec": blobs_spec()})
    assert response.status_code == 401


def test_drafts_are_404_and_closed_challenges_refuse_submissions():
    user = make_user()
    draft = make_challenge(status=Challenge.Status.DRAFT)
    assert submit(api_for(user), draft, {"spec": blobs_spec()}).status_code == 404
    closed = make_challenge(status=Challenge.Status.CLOSED)
    response = submit(api_for(user), closed, {"spec": blobs_spec()})
    assert response.status_code == 403
    assert "closed" in response.json()["detail"]


def test_over_quota_is_429_with_retry_after_and_the_reset_time():
    challenge, user = make_challenge(daily_quota=2), make_user()
    client = api_for(user)
    assert submit(client, challenge, {"spec": blobs_spec()}).status_code == 201
    assert submit(client, challenge, {"spec": blobs_spec()}).status_code == 201
    response = submit(client, challenge, {"spec": blobs_spec()})
    assert response.status_code == 429
    retry_after = int(response["Retry-After"])
    assert 0 < retry_after <= 86400 + 1
    body = response.json()
    assert body["quota"]["left"] == 0
    assert body["quota"]["resets_at"].endswith(("T00:00:00Z", "T00:00:00+00:00"))


def test_failed_timed_out_and_cancelled_runs_are_refunded():
    challenge, user = make_challenge(daily_quota=2), make_user()
    for status in (RunStatus.FAILED, RunStatus.TIMED_OUT, RunStatus.CANCELLED):
        make_run(challenge, user, status=status)
    make_run(challenge, user, status=RunStatus.DIVERGED)
    client = api_for(user)
    assert submit(client, challenge, {"spec": blobs_spec()}).status_code == 201
    assert submit(client, challenge, {"spec": blobs_spec()}).status_code == 429


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_submissions_accept_exactly_the_quota():
    challenge, user = make_challenge(daily_quota=3), make_user()
    statuses: list[int] = []
    start = threading.Barrier(20)

    def one() -> None:
        try:
            start.wait()
            statuses.append(submit(api_for(user), challenge, {"spec": blobs_spec()}).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=one) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] * 3 + [429] * 17
    assert Run.objects.filter(owner=user, challenge=challenge).count() == 3
