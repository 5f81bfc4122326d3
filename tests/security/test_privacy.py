"""A private run shows its progress to everyone and its hyperparameters to no one else.

Owner and staff see everything; others see status, epochs, losses, the metric and scores,
but no spec, no per-epoch `learning_rate`, no note, and no lab rate — in the API, the pages,
the run socket's snapshot and the live stream (docs/challenges.md, "Privacy").
"""

from __future__ import annotations

import json

import pytest
from django.test import Client
from rest_framework.test import APIClient

from challenges.models import RunHistoryChunk
from challenges.services import runs as run_services
from challenges.services.lab import lab_submit
from challenges.services.live import publish_run_epochs
from descent.live import publisher as live_publisher
from tests.support.factories import blobs_spec, make_challenge, make_run, make_user

pytestmark = pytest.mark.django_db

SECRET_RATE = 0.0123


def record(epoch: int) -> dict:
    return {"epoch": epoch, "train_loss": 1.0 / epoch, "val_loss": 1.1 / epoch,
            "accuracy": 0.5, "learning_rate": SECRET_RATE}


@pytest.fixture
def private_run():
    owner = make_user()
    run = make_run(make_challenge(), owner, note=f"adam at {SECRET_RATE}",
                   spec=blobs_spec(optimizer={"name": "adam", "learning_rate": SECRET_RATE}))
    RunHistoryChunk.objects.create(run=run, attempt=run.attempt, first_epoch=1,
                                   records=[record(1), record(2)])
    return run


def api_as(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.mark.parametrize("role", ["anonymous", "other"])
def test_others_see_progress_but_no_hyperparameter_of_a_private_run(private_run, role):
    viewer = None if role == "anonymous" else make_user()
    body = api_as(viewer).get(f"/api/runs/{private_run.pk}/").json()
    assert body["spec"] is None and body["note"] == ""
    assert [r["epoch"] for r in body["history"]] == [1, 2]
    assert all(set(r) == {"epoch", "train_loss", "val_loss", "accuracy"}
               for r in body["history"])
    client = Client()
    if viewer is not None:
        client.force_login(viewer)
    page = client.get(f"/runs/{private_run.pk}/").content.decode()
    assert str(SECRET_RATE) not in page and "learning_rate" not in page


@pytest.mark.parametrize("role", ["owner", "staff"])
def test_owner_and_staff_see_everything(private_run, role):
    viewer = private_run.owner if role == "owner" else make_user(staff=True)
    body = api_as(viewer).get(f"/api/runs/{private_run.pk}/").json()
    assert body["history"][0]["learning_rate"] == SECRET_RATE
    assert SECRET_RATE in (body["spec"]["optimizer"]["learning_rate"],)
    assert str(SECRET_RATE) in body["note"]


def test_engine_messages_name_the_rate_only_to_those_who_may_see_the_spec(private_run):
    private_run.status = "diverged"
    private_run.error = (f"Training diverged: the gradients exploded at learning rate "
                         f"{SECRET_RATE:g}. Try learning_rate {SECRET_RATE / 10:g} (10x lower).")
    private_run.diagnoses = [{"code": "diverged", "message": private_run.error}]
    private_run.save(update_fields=["status", "error", "diagnoses"])
    other = api_as(make_user()).get(f"/api/runs/{private_run.pk}/").json()
    assert str(SECRET_RATE) not in json.dumps(other) and "(private)" in other["error"]
    assert other["diagnoses"][0]["code"] == "diverged"
    owner = api_as(private_run.owner).get(f"/api/runs/{private_run.pk}/").json()
    assert str(SECRET_RATE) in owner["error"]


def test_a_shared_run_shows_its_hyperparameters_to_all(private_run):
    private_run.shared = True
    private_run.save(update_fields=["shared"])
    body = api_as(None).get(f"/api/runs/{private_run.pk}/").json()
    assert body["history"][0]["learning_rate"] == SECRET_RATE and body["note"]


def test_the_live_stream_never_carries_a_hyperparameter(monkeypatch,
                                                        django_capture_on_commit_callbacks):
    sent = []

    class Capture:
        def send(self, group, message):
            sent.append(message)

    monkeypatch.setattr(live_publisher, "publisher", lambda: Capture())
    with django_capture_on_commit_callbacks(execute=True):  # it goes out on commit
        publish_run_epochs(run_id=1, records=[record(1), record(2)], epochs=2)
    assert sent and all("learning_rate" not in r for r in sent[0]["records"])
    assert sent[0]["records"][0]["val_loss"] == pytest.approx(1.1)


def test_a_private_lab_names_its_rates_by_factor_only_to_others(monkeypatch):
    monkeypatch.setattr(run_services, "run_enqueue", lambda run: None)
    owner = make_user()
    runs = lab_submit(user=owner, challenge=make_challenge(),
                      spec=blobs_spec(optimizer={"name": "adam", "learning_rate": SECRET_RATE}))
    for run in runs:
        RunHistoryChunk.objects.create(run=run, attempt=run.attempt, first_epoch=1,
                                       records=[record(1)])
    group = runs[0].lab_group
    rates = ("0.00123", "0.0123", "0.123")
    for viewer in (None, make_user()):
        body = api_as(viewer).get(f"/api/labs/{group}/").content.decode()
        assert not any(rate in body for rate in rates), body
        client = Client()
        if viewer is not None:
            client.force_login(viewer)
        page = client.get(f"/lab/{group}/").content.decode()
        assert not any(rate in page for rate in rates)
        assert "×10" in page and "learning_rate" not in page
    owned = api_as(owner).get(f"/api/labs/{group}/").content.decode()
    assert all(rate in owned for rate in rates)
