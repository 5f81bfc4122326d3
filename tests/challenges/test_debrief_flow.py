"""The board's debrief loop across apps: a run card, a reply, a vote, a fork, notifications.

Tried as new users would: sign up over the API, train through a real worker, post a debrief
with a run card, and watch the notifications arrive on a real WebSocket without reloading.
"""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client
from rest_framework.test import APIClient
from websockets.sync.client import connect

from challenges.models import Run, RunStatus
from community.models import Category, Thread, User
from tests.challenges.test_training_worker import wait_final
from tests.support import stack
from tests.support.factories import blobs_spec, make_challenge

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]


def sign_up(username: str) -> tuple[APIClient, User]:
    anonymous = APIClient()
    password = f"{username}-has-a-long-password-7"
    response = anonymous.post("/api/auth/register/", {"username": username,
                                                       "password": password}, format="json")
    assert response.status_code == 201, response.json()
    token = anonymous.post("/api/auth/token/", {"username": username, "password": password},
                           format="json").json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client, User.objects.get(username=username)


def submit(client: APIClient, slug: str, spec: dict, **extra) -> int:
    response = client.post(f"/api/challenges/{slug}/submissions/", {"spec": spec, **extra},
                           format="json")
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def next_notification(socket, kind: str, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = json.loads(socket.recv(timeout=max(0.1, deadline - time.monotonic())))
        if message.get("type") == "notification" and message["notification"]["kind"] == kind:
            return message["notification"]
    raise AssertionError(f"no {kind} notification within {timeout} s")


def test_a_debrief_with_a_run_card_is_replied_voted_forked_and_notified_live():
    challenge = make_challenge(slug="debrief-blobs")
    Category.objects.get_or_create(slug="debriefs", defaults={"name": "Debriefs"})
    ada_api, ada = sign_up("ada")
    grace_api, _grace = sign_up("grace")
    careless = blobs_spec(epochs=3, optimizer={"name": "sgd", "learning_rate": 0.001})
    with stack.celery_worker(concurrency=1), stack.asgi_server() as (_server, port):
        first = wait_final(submit(ada_api, challenge.slug, careless))
        assert first.status == RunStatus.SUCCEEDED

        response = ada_api.post("/api/board/threads/", {
            "category": "debriefs", "title": "My first blobs run",
            "body": "Why does my loss barely move? `learning_rate` 0.001", "run": first.pk,
        }, format="json")
        assert response.status_code == 201, response.json()
        thread = Thread.objects.get(pk=response.json()["id"])
        opening = response.json()["opening_post"]
        card = opening["attachments"][0]
        assert card["kind"] == "run"
        assert card["data"]["spec"] == Run.objects.get(pk=first.pk).spec  # attaching shares
        assert card["data"]["rank"] == 1 and len(card["data"]["sparkline"]) == 3
        assert grace_api.get(f"/api/runs/{first.pk}/").json()["spec_visible"] is True

        session = Client()
        session.force_login(ada)
        cookie = f"sessionid={session.cookies['sessionid'].value}"
        with connect(f"ws://127.0.0.1:{port}/ws/notifications/",
                     origin=f"http://127.0.0.1:{port}", open_timeout=10,
                     additional_headers={"Cookie": cookie}) as bell:
            json.loads(bell.recv(timeout=10))  # the snapshot
            reply = grace_api.post(f"/api/board/threads/{thread.pk}/posts/",
                                   {"body": "Try a 50× larger learning rate."}, format="json")
            assert reply.status_code == 201, reply.json()
            assert "grace replied" in next_notification(bell, "reply")["text"]

            vote = grace_api.post(f"/api/board/posts/{opening['id']}/vote/", {}, format="json")
            assert vote.status_code in (200, 201) and vote.json()["score"] == 1

            # Fork: the exact spec, recorded lineage, counted on the thread.
            fork_spec = dict(card["data"]["spec"], epochs=40,
                             optimizer={"name": "adam", "learning_rate": 0.05})
            fork_id = submit(grace_api, challenge.slug, fork_spec, forked_from=first.pk)
            thread.refresh_from_db()
            assert thread.fork_count == 1
            fork = wait_final(fork_id)
            assert fork.status == RunStatus.SUCCEEDED and fork.forked_from_id == first.pk
            assert fork.val_score > first.val_score

            beaten = next_notification(bell, "rank.beaten")
            assert "#1 → #2" in beaten["text"] and "grace" in beaten["text"]

        detail = ada_api.get(f"/api/board/threads/{thread.pk}/").json()
        card = detail["opening_post"]["attachments"][0]["data"]
        assert card["forks"] == 1 and card["forks_that_beat_it"] == 1 and card["rank"] == 2
        page = Client().get(f"/board/t/{thread.pk}/").content.decode()
        assert "Fork this config" in page and f"?fork={first.pk}" in page
        profile = Client().get("/u/ada/").content.decode()
        assert "Runs and best ranks" in profile
