"""A run followed through a server restart: the CLI reconnects with backoff, resyncs from the
`run.snapshot`, and still ends with the run's real final status. The run trains on the
worker meanwhile; only the ASGI server (and with it every WebSocket) goes away."""

from __future__ import annotations

import time

import httpx
import pytest
from rest_framework.authtoken.models import Token

from challenges.models import Run, RunStatus
from descent.stack.redis_server import free_port
from tests.cli.conftest import log_in
from tests.support import stack
from tests.support.factories import blobs_spec, make_challenge, make_user

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]


def submit(url: str, user, slug: str, epochs: int, batch_size: int = 32) -> int:
    token, _ = Token.objects.get_or_create(user=user)
    response = httpx.post(f"{url}/api/challenges/{slug}/submissions/",
                          json={"spec": blobs_spec(epochs=epochs, batch_size=batch_size)},
                          headers={"Authorization": f"Token {token.key}"}, timeout=30)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def wait_for(predicate, timeout: float = 60.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_drop_mid_run_reconnects_and_streams_on_to_the_final_status(worker, config_dir,
                                                                       running):
    # Small batches make the run last ~20 s on a quiet machine (batch 32 took 5 s, and could
    # end while the server restarted): long enough to be reconnected to mid-run.
    make_challenge(slug="cli-drop", time_limit_seconds=180)
    user = make_user("ada")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_in(user, url)
    with stack.asgi_server(port=port):
        run_id = submit(url, user, "cli-drop", epochs=3000, batch_size=8)
        watcher = running("watch", run_id)
        watcher.wait_for_line(lambda line: f"following run #{run_id} live" in line)
        wait_for(lambda: Run.objects.get(pk=run_id).epochs_done > 0, what="training")
    # The server is gone, with the socket; the run trains on.
    assert Run.objects.get(pk=run_id).status == RunStatus.RUNNING
    watcher.wait_for_line(lambda line: "lost" in line and "reconnecting in" in line)
    with stack.asgi_server(port=port):
        watcher.wait_for_line(lambda line: "reconnected: resyncing from a fresh snapshot"
                              in line, timeout=90)
        reconnected_at = Run.objects.get(pk=run_id)
        status, stdout, stderr = watcher.finish()
    assert status == 0, stdout + stderr
    run = Run.objects.get(pk=run_id)
    assert run.status == RunStatus.SUCCEEDED
    assert f"run #{run_id} succeeded: accuracy {run.score:.6g} (validation), 3000/3000 " \
        "epochs" in stdout
    assert "3000/3000" in stderr  # the bar caught up with the run's last epoch
    # Reconnected while it was still training: the stream, not only the API, carried it on.
    assert reconnected_at.status == RunStatus.RUNNING or reconnected_at.epochs_done < 3000, \
        "the run ended before the reconnection; this test wants a mid-run resync"


def test_a_run_that_ends_while_disconnected_is_reported_from_the_snapshot(worker, config_dir,
                                                                          running):
    make_challenge(slug="cli-drop-end")
    user = make_user("bob")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_in(user, url)
    with stack.asgi_server(port=port):
        run_id = submit(url, user, "cli-drop-end", epochs=1500)
        watcher = running("watch", run_id)
        watcher.wait_for_line(lambda line: f"following run #{run_id} live" in line)
    watcher.wait_for_line(lambda line: "reconnecting in" in line)
    wait_for(lambda: Run.objects.get(pk=run_id).is_final, timeout=120, what="the run's end")
    with stack.asgi_server(port=port):
        status, stdout, stderr = watcher.finish()
    assert status == 0, stdout + stderr
    run = Run.objects.get(pk=run_id)
    assert "reconnected: resyncing from a fresh snapshot" in stderr
    assert f"run #{run_id} succeeded: accuracy {run.score:.6g} (validation), 1500/1500 " \
        "epochs" in stdout
