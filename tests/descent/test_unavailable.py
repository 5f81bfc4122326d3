"""Redis unreachable: the API answers JSON 503 with Retry-After, a page a 503 page, never 500.

In-process, with the cache pointed at a port where nothing listens (the quick version of
tests/reliability/test_redis_restart.py, which stops a real Redis under a real server).
"""

from __future__ import annotations

import json

import pytest
from django.test import Client, override_settings
from rest_framework.test import APIClient

from challenges.models import Run
from tests.support.factories import blobs_spec, make_challenge, make_user

pytestmark = pytest.mark.django_db

NOWHERE = "redis://127.0.0.1:1/0"


def cache_at(location: str) -> dict:
    from django.conf import settings

    caches = {name: dict(config) for name, config in settings.CACHES.items()}
    caches["default"]["LOCATION"] = location
    return caches


def test_a_submission_while_redis_is_down_is_a_json_503_with_retry_after_and_writes_nothing():
    challenge, user = make_challenge(), make_user()
    client = APIClient()
    client.force_authenticate(user)
    with override_settings(CACHES=cache_at(NOWHERE)):
        response = client.post(f"/api/challenges/{challenge.slug}/submissions/",
                               data=json.dumps({"spec": blobs_spec()}),
                               content_type="application/json")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["code"] == "unavailable" and "try again" in response.json()["detail"]
    assert not Run.objects.exists()


def test_a_page_that_needs_redis_while_it_is_down_is_a_503_page():
    make_user("ada")
    with override_settings(CACHES=cache_at(NOWHERE)):
        response = Client().post("/accounts/login/", {"username": "ada", "password": "x" * 12})
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"].startswith("text/html")
    assert b"try again" in response.content


def test_a_run_whose_task_cannot_be_sent_after_its_commit_is_kept_and_sent_by_the_next_sweep(
        monkeypatch, django_capture_on_commit_callbacks):
    from kombu.exceptions import OperationalError

    from challenges.services import runs, sweeper
    from challenges.services.submissions import run_submit

    def broker_down(run):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(runs, "run_enqueue", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        run = run_submit(user=make_user(), challenge=make_challenge(), spec=blobs_spec())
    run.refresh_from_db()
    assert run.status == "queued" and run.enqueued_at is None  # accepted, kept, not sent
    sent = []
    monkeypatch.setattr(sweeper, "run_enqueue", lambda again: sent.append(again.pk))
    assert sweeper.runs_sweep().reenqueued == [run.pk]
    assert sent == [run.pk]
