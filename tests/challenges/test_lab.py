"""The learning-rate lab: three runs, unranked, outside the quota, streamed live."""

from __future__ import annotations

import json

import httpx
import pytest
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from challenges.models import Run, RunStatus
from challenges.selectors.lab import lab_explain
from challenges.selectors.leaderboards import leaderboard_get
from challenges.services import runs as run_services
from challenges.services.lab import LabBusy, lab_submit
from challenges.services.submissions import quota_status
from tests.support import stack
from tests.support.factories import blobs_spec, make_challenge, make_run, make_user


def regression_spec(learning_rate: float = 0.05, epochs: int = 200) -> dict:
    """The learning-rate node's snippet: ×10 (0.5) diverges, ÷10 (0.005) crawls."""
    return {"version": 1, "layers": [{"units": 32, "activation": "tanh"},
                                     {"units": 1, "activation": "linear"}],
            "loss": "mse", "optimizer": {"name": "sgd", "learning_rate": learning_rate},
            "epochs": epochs, "batch_size": 32, "seed": 0}


def regression_challenge(slug: str):
    return make_challenge(slug=slug, dataset="polynomial", dataset_params={"noise": 0.1},
                          metric="r2", starter_spec={}, daily_quota=1)


@pytest.fixture
def enqueued(monkeypatch):
    sent: list[int] = []
    monkeypatch.setattr(run_services, "run_enqueue", lambda run: sent.append(run.pk))
    return sent


@pytest.mark.django_db
def test_a_lab_writes_three_unranked_runs_outside_the_quota_and_enqueues_after_commit(
        enqueued, django_capture_on_commit_callbacks):
    challenge, user = make_challenge(slug="lab-blobs"), make_user()
    with django_capture_on_commit_callbacks(execute=True):
        runs = lab_submit(user=user, challenge=challenge,
                          spec=blobs_spec(optimizer={"name": "adam", "learning_rate": 0.05}))
    assert [r.spec["optimizer"]["learning_rate"] for r in runs] == [0.005, 0.05, 0.5]
    assert {(r.ranked, r.counts_toward_quota, r.status) for r in runs} == {
        (False, False, RunStatus.QUEUED)}
    assert len({r.lab_group for r in runs}) == 1 and runs[0].lab_group is not None
    assert sorted(enqueued) == sorted(r.pk for r in runs)
    assert quota_status(user=user, challenge=challenge).used == 0


@pytest.mark.django_db
def test_lab_runs_never_rank_even_when_they_score_best():
    challenge, user, rival = make_challenge(slug="lab-rank"), make_user(), make_user()
    make_run(challenge, rival, val_score=0.7, test_score=0.7)
    make_run(challenge, user, val_score=0.99, test_score=0.99, ranked=False,
             counts_toward_quota=False, lab_group="0b3a4c6e-1d2f-4a5b-8c7d-9e0f1a2b3c4d")
    assert [entry.user for entry in leaderboard_get(challenge=challenge)] == [rival.username]


@pytest.mark.django_db
def test_the_api_answers_201_with_the_three_runs_even_with_the_quota_spent(enqueued):
    challenge, user = regression_challenge("lab-api"), make_user()
    make_run(challenge, user, spec=regression_spec(), status=RunStatus.SUCCEEDED)
    assert quota_status(user=user, challenge=challenge).left == 0
    client = APIClient()
    client.force_authenticate(user)
    response = client.post("/api/challenges/lab-api/lab/", {"spec": regression_spec()},
                           format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert [r["ranked"] for r in body["runs"]] == [False, False, False]
    assert body["url"] == f"/lab/{body['lab']}/"
    assert client.get(f"/api/labs/{body['lab']}/").json()["lab"] == body["lab"]
    assert quota_status(user=user, challenge=challenge).used == 1  # only the real run


@pytest.mark.django_db
def test_a_third_lab_while_two_are_running_is_429(enqueued):
    challenge, user = make_challenge(slug="lab-busy"), make_user()
    lab_submit(user=user, challenge=challenge, spec=blobs_spec())
    lab_submit(user=user, challenge=challenge, spec=blobs_spec())
    with pytest.raises(LabBusy):
        lab_submit(user=user, challenge=challenge, spec=blobs_spec())
    client = APIClient()
    client.force_authenticate(user)
    response = client.post("/api/challenges/lab-busy/lab/", {"spec": blobs_spec()},
                           format="json")
    assert response.status_code == 429 and "Retry-After" in response.headers
    Run.objects.filter(owner=user).update(status=RunStatus.SUCCEEDED)  # they finish
    assert len(lab_submit(user=user, challenge=challenge, spec=blobs_spec())) == 3


@pytest.mark.django_db
def test_an_invalid_spec_or_unknown_key_is_400_and_writes_nothing(enqueued):
    make_challenge(slug="lab-bad")
    client = APIClient()
    client.force_authenticate(make_user())
    bad = client.post("/api/challenges/lab-bad/lab/",
                      {"spec": blobs_spec(layers=[{"units": 2, "activation": "softmax"}])},
                      format="json")
    assert bad.status_code == 400 and "layers[0].units" in json.dumps(bad.json())
    extra = client.post("/api/challenges/lab-bad/lab/", {"spec": blobs_spec(), "x": 1},
                        format="json")
    assert extra.status_code == 400
    assert APIClient().post("/api/challenges/lab-bad/lab/", {"spec": blobs_spec()},
                            format="json").status_code == 401
    assert Run.objects.count() == 0


@pytest.mark.django_db
def test_the_lab_is_throttled_by_its_own_scope(enqueued, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"lab": "1/hour"})
    make_challenge(slug="lab-throttle")
    user = make_user()
    cache.delete(f"throttle_lab_{user.pk}")  # ids repeat across rolled-back tests
    client = APIClient()
    client.force_authenticate(user)
    first = client.post("/api/challenges/lab-throttle/lab/", {"spec": blobs_spec()},
                        format="json")
    second = client.post("/api/challenges/lab-throttle/lab/", {"spec": blobs_spec()},
                         format="json")
    assert (first.status_code, second.status_code) == (201, 429)


@pytest.mark.django_db
def test_the_explanation_names_the_divergence_and_the_best_rate():
    challenge, user = regression_challenge("lab-explain"), make_user()
    group = "5f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f"
    common = {"ranked": False, "counts_toward_quota": False, "lab_group": group}
    slow = make_run(challenge, user, spec=regression_spec(0.005), val_loss=0.2, **common)
    good = make_run(challenge, user, spec=regression_spec(0.05), val_loss=0.01, **common)
    boom = make_run(challenge, user, spec=regression_spec(0.5), status=RunStatus.DIVERGED,
                    val_score=None, test_score=None,
                    diagnoses=[{"code": "diverged", "message": "Training diverged in epoch 1"}],
                    **common)
    explanation = lab_explain([boom, slow, good])
    assert explanation["done"] and explanation["best"] == good.pk
    assert "0.5 the run diverged" in explanation["lines"][2]
    assert "Training diverged in epoch 1" in explanation["lines"][2]
    assert explanation["lines"][3].startswith("Verdict: learning rate 0.05")


@pytest.mark.django_db
def test_the_lab_page_shows_the_three_runs_and_their_streams(client, enqueued):
    challenge, user = make_challenge(slug="lab-page"), make_user()
    runs = lab_submit(user=user, challenge=challenge, spec=blobs_spec())
    client.force_login(user)
    html = client.get(f"/lab/{runs[0].lab_group}/").content.decode()
    assert all(f'data-lab-run="{r.pk}"' in html for r in runs)
    assert "÷10" in html and "×10" in html and "lab-histories" in html
    started = client.post("/challenges/lab-page/lab/", {"spec": json.dumps(blobs_spec())})
    assert started.status_code == 302 and started.url.startswith("/lab/")


@pytest.mark.stack
@pytest.mark.django_db(transaction=True)
def test_three_lab_runs_train_stream_live_and_one_diverges():
    from rest_framework.authtoken.models import Token

    from tests.challenges.test_live import receive, receive_until, ws

    challenge, user = regression_challenge("lab-live"), make_user("lab-ada")
    token, _ = Token.objects.get_or_create(user=user)
    with stack.celery_worker(concurrency=1), stack.asgi_server() as (_server, port):
        response = httpx.post(f"http://127.0.0.1:{port}/api/challenges/lab-live/lab/",
                              json={"spec": regression_spec(epochs=400)},
                              headers={"Authorization": f"Token {token.key}"}, timeout=30)
        assert response.status_code == 201, response.text
        ids = [run["id"] for run in response.json()["runs"]]
        finals = {}
        for run_id in ids:
            with ws(port, f"/ws/runs/{run_id}/") as socket:
                snapshot = receive(socket)
                assert snapshot["type"] == "run.snapshot"
                if snapshot["run"]["status"] in ("succeeded", "diverged"):
                    finals[run_id] = snapshot["run"]["status"]
                    continue
                messages = receive_until(socket, lambda m: m["type"] == "run.status" and m[
                    "status"] in ("succeeded", "diverged", "failed"))
                finals[run_id] = messages[-1]["status"]
                if finals[run_id] == "diverged":
                    assert "learning rate" in messages[-1]["diagnoses"][0]["message"]
    assert [finals[i] for i in ids] == ["succeeded", "succeeded", "diverged"]
    runs = Run.objects.filter(pk__in=ids)
    assert all(not r.ranked and not r.counts_toward_quota for r in runs)
    assert quota_status(user=user, challenge=challenge).used == 0
    assert leaderboard_get(challenge=challenge) == []
