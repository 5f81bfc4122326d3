"""Ghost races: a new run races a finished run's recorded history, epoch by epoch, live.

The stack test watches a race over the real WebSockets (a real Uvicorn, a real Celery
worker, Redis): the racer's stream and the challenge's stream both carry the ghost at the
racer's epoch and the gap, in epoch order, and the ghost's spec never travels.
"""

from __future__ import annotations

import json
import time

import httpx
import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from websockets.sync.client import connect

from challenges.models import Challenge, Run, RunHistoryChunk, RunStatus
from challenges.selectors.ghosts import ghost_track
from challenges.selectors.history import run_history
from tests.support import stack
from tests.support.factories import blobs_spec, make_challenge, make_run, make_user


def history(run: Run, epochs: int, *, loss=lambda e: 1.0 / e) -> None:
    RunHistoryChunk.objects.create(run=run, attempt=run.attempt, first_epoch=1, records=[
        {"epoch": e, "train_loss": loss(e) * 2, "val_loss": loss(e), "accuracy": 0.5}
        for e in range(1, epochs + 1)])


def submit(user, challenge, **body):
    client = APIClient()
    client.force_authenticate(user)
    return client.post(f"/api/challenges/{challenge.slug}/submissions/",
                       data=json.dumps({"spec": blobs_spec(), **body}),
                       content_type="application/json")


@pytest.mark.django_db
def test_a_submission_races_only_a_finished_visible_run_of_the_same_challenge():
    challenge, other = make_challenge(slug="ghost-rules"), make_challenge(slug="ghost-other")
    draft = make_challenge(slug="ghost-draft", status=Challenge.Status.DRAFT)
    ada, bob = make_user(), make_user()
    leader = make_run(challenge, ada)  # its spec is not shared: racing it is still fine
    running = make_run(challenge, ada, status=RunStatus.RUNNING, val_score=None)
    elsewhere = make_run(other, ada)
    secret = make_run(draft, ada)
    cases = {
        running.pk: f"run #{running.pk} is still running; race a finished run (its recorded "
                    "history is the ghost)",
        elsewhere.pk: f"run #{elsewhere.pk} is on challenge 'ghost-other'; race a run of "
                      "'ghost-rules'",
        secret.pk: "no run you can see has that id",
        999_999: "no run you can see has that id",
    }
    for run_id, message in cases.items():
        response = submit(bob, challenge, ghost_run=run_id)
        assert response.status_code == 400, response.json()
        assert response.json() == {"ghost_run": [message]}
    assert not Run.objects.filter(owner=bob).exists()
    response = submit(bob, challenge, ghost_run=leader.pk)
    assert response.status_code == 201, response.json()
    assert response.json()["ghost_run"] == leader.pk
    assert Run.objects.get(pk=response.json()["id"]).ghost_run == leader


@pytest.mark.django_db
def test_a_racer_shows_the_ghosts_losses_and_the_gap_never_its_spec():
    challenge = make_challenge(slug="ghost-detail")
    ada, bob = make_user("ada"), make_user("bob")
    ghost = make_run(challenge, ada, attempt=1)
    history(ghost, 30)
    racer = make_run(challenge, bob, attempt=1, ghost_run=ghost)
    history(racer, 20, loss=lambda e: 1.5 / e)
    body = APIClient().get(f"/api/runs/{racer.pk}/").json()
    summary = body["ghost"]
    assert (summary["run"], summary["user"], summary["last_epoch"]) == (ghost.pk, "ada", 30)
    assert [r["epoch"] for r in summary["records"]] == list(range(1, 31))
    assert set(summary["records"][0]) == {"epoch", "train_loss", "val_loss"}  # losses only
    assert summary["gap"]["epoch"] == 20
    assert summary["gap"]["delta"] == pytest.approx(1.5 / 20 - 1 / 20)
    assert "spec" not in json.dumps(summary)
    assert APIClient().get(f"/api/runs/{ghost.pk}/").json()["spec"] is None  # still private

    # Past the ghost's last epoch its losses are unknown, and the track says where it ended.
    track = ghost_track(racer)
    assert track.at(31, 0.1) == {"run": ghost.pk, "user": "ada", "epoch": 31,
                                 "train_loss": None, "val_loss": None, "delta": None,
                                 "last_epoch": 30}
    assert track.at(10, None)["delta"] is None  # a racer's non-finite loss has no gap


@pytest.mark.django_db
def test_the_pages_offer_a_race_and_the_submit_page_records_it(client):
    challenge = make_challenge(slug="ghost-pages")
    ada, bob = make_user("ada"), make_user("bob")
    leader = make_run(challenge, ada, val_score=0.99)
    make_run(challenge, bob, val_score=0.5)
    page = client.get("/challenges/ghost-pages/").content.decode()
    assert f'href="/challenges/ghost-pages/submit/?race={leader.pk}"' in page
    assert f'href="/challenges/ghost-pages/submit/?race={leader.pk}"' in \
        client.get(f"/runs/{leader.pk}/").content.decode()  # "Race this run"
    client.force_login(bob)
    form = client.get(f"/challenges/ghost-pages/submit/?race={leader.pk}")
    assert f'data-racing="{leader.pk}"' in form.content.decode()
    assert form.context["form"].initial["ghost_run"] == leader.pk
    response = client.post("/challenges/ghost-pages/submit/", {
        "spec": json.dumps(blobs_spec()), "note": "", "ghost_run": leader.pk})
    assert response.status_code == 302, response.content.decode()
    racer = Run.objects.filter(owner=bob).latest("id")
    assert racer.ghost_run == leader
    racer_page = client.get(f"/runs/{racer.pk}/").content.decode()
    assert f"racing <a href=\"/runs/{leader.pk}/\">run #{leader.pk}</a> by ada" in racer_page
    refused = client.get("/challenges/ghost-pages/submit/?race=abc")
    assert refused.context["race_notice"] == "Cannot race 'abc': a run id is a number."
    assert refused.context["form"].initial["ghost_run"] is None


def receive_until(socket, done, timeout: float = 90.0) -> list[dict]:
    messages, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = json.loads(socket.recv(timeout=max(0.1, deadline - time.monotonic())))
        if message["type"] == "presence.update":
            continue
        messages.append(message)
        if done(message):
            return messages
    raise AssertionError(f"timed out; got {[m['type'] for m in messages]}")


def ws(port: int, path: str):
    return connect(f"ws://127.0.0.1:{port}{path}", origin=f"http://127.0.0.1:{port}",
                   open_timeout=10, max_size=64 * 1024 * 1024)


@pytest.mark.stack
@pytest.mark.django_db(transaction=True)
def test_a_ghost_race_streams_both_curves_in_order():
    make_challenge(slug="ghost-live", daily_quota=10)
    ada, bob = make_user("ada"), make_user("bob")
    with stack.asgi_server() as (_server, port):
        base = f"http://127.0.0.1:{port}/api/challenges/ghost-live/submissions/"

        def post(user, body):
            token, _ = Token.objects.get_or_create(user=user)
            response = httpx.post(base, json=body, timeout=30,
                                  headers={"Authorization": f"Token {token.key}"})
            assert response.status_code == 201, response.text
            return response.json()["id"]

        with stack.celery_worker(concurrency=1):
            ghost_id = post(ada, {"spec": blobs_spec(epochs=600, seed=2)})
            deadline = time.monotonic() + 90
            while Run.objects.get(pk=ghost_id).status != RunStatus.SUCCEEDED:
                assert time.monotonic() < deadline, Run.objects.get(pk=ghost_id).error
                time.sleep(0.2)
        ghost = {r["epoch"]: r for r in run_history(Run.objects.get(pk=ghost_id))}

        # The racer waits in the queue until both streams are watched: nothing is missed.
        with ws(port, "/ws/challenges/ghost-live/") as spectator:
            assert receive_until(spectator, lambda m: True)[0]["type"] == "leaderboard.snapshot"
            racer_id = post(bob, {"spec": blobs_spec(epochs=800, seed=9),
                                  "ghost_run": ghost_id})
            with ws(port, f"/ws/runs/{racer_id}/") as racer:
                snapshot = receive_until(racer, lambda m: True)[0]
                with stack.celery_worker(concurrency=1, purge=False):
                    run_messages = receive_until(racer, lambda m: m["type"] == "run.status"
                                                 and m["status"] == "succeeded")
                    challenge_messages = receive_until(
                        spectator, lambda m: m["type"] == "run.finished"
                        and m["run"] == racer_id)

    # The snapshot carries the ghost's curve (losses only), whatever the racer has so far.
    assert snapshot["type"] == "run.snapshot" and snapshot["run"]["status"] == "queued"
    assert snapshot["run"]["ghost_run"] == ghost_id
    summary = snapshot["run"]["ghost"]
    assert summary["run"] == ghost_id and summary["user"] == "ada"
    assert summary["last_epoch"] == 600 and 300 <= len(summary["records"]) <= 601
    assert all(set(r) == {"epoch", "train_loss", "val_loss"} for r in summary["records"])
    assert "spec" not in json.dumps(summary)

    # Every epoch message carries the ghost at the racer's epoch, in order; past epoch 600
    # the ghost has ended and says so.
    epochs = [m for m in run_messages if m["type"] == "run.epoch"]
    assert [m["epoch"] for m in epochs] == sorted({m["epoch"] for m in epochs})
    assert epochs[-1]["epoch"] == 800
    for message in epochs:
        at = message["ghost"]
        assert at["epoch"] == message["epoch"] and at["run"] == ghost_id
        if message["epoch"] <= 600:
            recorded = ghost[message["epoch"]]
            assert (at["train_loss"], at["val_loss"]) == (recorded["train_loss"],
                                                          recorded["val_loss"])
            assert at["delta"] == pytest.approx(message["val_loss"] - recorded["val_loss"])
        else:
            assert at["val_loss"] is None and at["delta"] is None and at["last_epoch"] == 600
    assert any(m["epoch"] <= 600 for m in epochs) and any(m["epoch"] > 600 for m in epochs)

    # Spectators of the challenge see the same gap on every progress report, in order.
    progress = [m for m in challenge_messages
                if m["type"] == "run.progress" and m["run"] == racer_id]
    assert [m["epoch"] for m in progress] == sorted({m["epoch"] for m in progress})
    assert progress[-1]["epoch"] == 800
    for message in progress:
        assert message["ghost"]["epoch"] == message["epoch"]
        if message["epoch"] <= 600:
            assert message["ghost"]["val_loss"] == ghost[message["epoch"]]["val_loss"]
            assert message["ghost"]["delta"] == pytest.approx(
                message["val_loss"] - ghost[message["epoch"]]["val_loss"])
    assert not any("ghost" in m for m in challenge_messages
                   if m["type"] == "run.progress" and m["run"] != racer_id)
