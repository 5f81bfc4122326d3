"""Redis goes down and comes back, with runs queued and one mid-run.

The test owns the Redis: an embedded redis-server with `appendonly yes` (what `make run` and
docs/deploy.md use), on a free port, that every process here — worker, maintenance worker,
beat, ASGI server — is pointed at. While it is down the web answers 503 with Retry-After (a
submission is refused before anything is written) and a WebSocket handshake is closed with
1013; once it is back every run reaches one final state.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from email.message import Message

import pytest
import redis
from django.conf import settings
from rest_framework.authtoken.models import Token
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from challenges.models import Run, RunStatus
from challenges.services import cancellations
from community.models import Notification
from descent.stack.redis_server import EmbeddedRedis
from tests.reliability.support import (
    assert_no_stuck_runs,
    assert_one_clean_record,
    training,
    wait_final,
    wait_for,
)
from tests.support import stack
from tests.support.factories import blobs_spec, make_challenge, make_user

pytestmark = [pytest.mark.stack, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

EPOCHS = 400


def post_submission(port: int, token: str, slug: str, spec: dict) -> tuple[int, Message, dict]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/challenges/{slug}/submissions/",
        data=json.dumps({"spec": spec}).encode(), method="POST",
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (localhost)
            return response.status, response.headers, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.headers, json.loads(error.read() or b"{}")


def websocket_close_code(port: int, token: str) -> int | None:
    with connect(f"ws://127.0.0.1:{port}/ws/ping/", origin=f"http://127.0.0.1:{port}",
                 additional_headers={"Authorization": f"Token {token}"},
                 open_timeout=15) as socket:
        try:
            while True:
                socket.recv(timeout=15)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None


@pytest.fixture
def own_redis(tmp_path):
    redis = EmbeddedRedis(tmp_path / "redis", appendonly=True)
    redis.start()
    yield redis
    redis.stop()


def test_a_redis_restart_loses_no_run_and_the_outage_answers_503_and_1013(own_redis):
    url = own_redis.url
    challenge = make_challenge(dataset_params={"n_samples": 3000}, daily_quota=50)
    user = make_user()
    token = Token.objects.create(user=user).key
    env = {"REDIS_URL": url}
    with stack.asgi_server(**env) as (_server, port), stack.sweeping(**env), \
            stack.celery_worker(concurrency=1, purge=False, **env):
        ids = []
        for _ in range(3):  # one trains, two wait in the queue (one pool process)
            code, _headers, body = post_submission(port, token, challenge.slug,
                                                   blobs_spec(epochs=EPOCHS))
            assert code == 201, body
            ids.append(body["id"])
        wait_for(ids[0], training(ids[0], attempt=1, epochs=5))

        own_redis.stop()
        code, headers, body = post_submission(port, token, challenge.slug, blobs_spec())
        assert code == 503, body
        assert headers.get("Retry-After") == "5" and body["code"] == "unavailable"
        assert Run.objects.filter(challenge=challenge).count() == 3  # nothing half-accepted
        assert websocket_close_code(port, token) == 1013

        own_redis.start()  # same port, same directory: the AOF brings the queue back
        runs = [wait_final(run_id, timeout=180) for run_id in ids]
    log = (settings.VAR_DIR / "test-logs" / f"uvicorn-{port}.log").read_text()
    assert "Traceback" not in log, log[-3000:]  # the outage was answered, never raised
    for run in runs:
        assert run.status == RunStatus.SUCCEEDED, (run.pk, run.error)
        assert_one_clean_record(run, epochs=EPOCHS)
        finished = Notification.objects.filter(recipient=user, kind="run.finished",
                                               url=f"/runs/{run.pk}/")
        assert finished.count() == 1  # finished once
    assert_no_stuck_runs()
    assert settings.REDIS_URL != url  # the session's own Redis was never touched


def test_the_cancel_listener_subscribes_again_after_redis_comes_back(own_redis, monkeypatch):
    client = redis.Redis.from_url(own_redis.url, socket_timeout=5)
    monkeypatch.setattr(cancellations, "get_redis", lambda: client)
    watch = cancellations.CancelWatch()
    try:
        assert watch.subscribed.is_set()
        own_redis.stop()
        wait_until(lambda: not watch.subscribed.is_set(), "the listener never noticed")
        own_redis.start()
        wait_until(watch.subscribed.is_set, "the listener never subscribed again")
        client.publish(cancellations.CHANNEL, "41")
        wait_until(lambda: watch.requested(41), "a cancel after the restart was not heard")
        assert watch.thread.is_alive() and watch.subscriptions >= 2
    finally:
        watch.stop()
        client.close()


def wait_until(condition, message: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, message
        time.sleep(0.05)
