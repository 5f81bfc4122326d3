"""WebSocket abuse against a real Uvicorn: origins, big frames, floods, bad JSON, the cap.

Every route (`/ws/ping/`, `/ws/notifications/`, the live ones) has the same limits, because
they live in the one base consumer (descent/websocket_guards.py).
"""

from __future__ import annotations

import contextlib
import json
import time

import pytest
from rest_framework.authtoken.models import Token
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from tests.support import stack
from tests.support.factories import make_challenge, make_user

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]

ROUTES = ["/ws/ping/", "/ws/notifications/", "/ws/challenges/{slug}/", "/ws/presence/board/"]


@pytest.fixture
def server(transactional_db):
    with stack.asgi_server() as (_process, port):
        yield port
    log = (stack.settings.VAR_DIR / "test-logs" / f"uvicorn-{port}.log").read_text()
    # Whatever the clients did, the server never raised.
    assert "Traceback" not in log and "RuntimeError" not in log, log[-3000:]


SIGNED_IN: dict[str, str] = {}


def open_socket(port: int, path: str, *, origin: str | None = "self", **kwargs):
    """Connect as a signed-in builder (the notification socket closes anonymous ones, 4401)."""
    kwargs.setdefault("additional_headers", SIGNED_IN)
    return connect(f"ws://127.0.0.1:{port}{path}",
                   origin=f"http://127.0.0.1:{port}" if origin == "self" else origin,
                   open_timeout=10, **kwargs)


def closed_with(socket, timeout: float = 10.0) -> int:
    """Read until the server closes; return its close code."""
    deadline = time.monotonic() + timeout
    with pytest.raises(ConnectionClosed) as closed:
        while time.monotonic() < deadline:
            socket.recv(timeout=deadline - time.monotonic())
    return closed.value.rcvd.code


def routes() -> list[str]:
    """Every route, with a challenge to watch and a builder's token in SIGNED_IN."""
    slug = make_challenge().slug
    token = Token.objects.create(user=make_user())
    SIGNED_IN.clear()
    SIGNED_IN["Authorization"] = f"Token {token.key}"
    return [route.format(slug=slug) for route in ROUTES]


def test_a_foreign_or_missing_origin_is_refused_on_every_route(server):
    for path in routes():
        for origin in ("http://evil.example", "null", None):
            with pytest.raises(InvalidStatus) as refused:
                with open_socket(server, path, origin=origin, additional_headers={}):
                    pass
            assert refused.value.response.status_code == 403, (path, origin)


def test_without_origin_a_valid_token_connects_and_names_the_user(server):
    user = make_user()
    token = Token.objects.create(user=user)
    headers = {"Authorization": f"Token {token.key}"}
    with open_socket(server, "/ws/notifications/", origin=None,
                     additional_headers=headers) as socket:
        snapshot = json.loads(socket.recv(timeout=10))
    assert snapshot["type"] == "notifications.snapshot"
    with pytest.raises(InvalidStatus):
        with open_socket(server, "/ws/ping/", origin=None,
                         additional_headers={"Authorization": "Token not-a-token"}):
            pass


def test_an_oversized_frame_closes_the_socket_on_every_route(server):
    for path in routes():
        with open_socket(server, path, max_size=None) as socket:
            socket.send("x" * 10_000_000)
            assert closed_with(socket) == 1009, path
        with open_socket(server, path) as socket:
            socket.send(json.dumps({"type": "ping", "pad": "x" * 2000}))
            assert closed_with(socket) == 1009, path


@pytest.mark.parametrize("frame", ["[" * 1000, "{not json", "", "\x00"])
def test_a_frame_that_is_not_json_closes_with_1007(server, frame):
    for path in routes():
        with open_socket(server, path) as socket:
            socket.send(frame)
            assert closed_with(socket) == 1007, path


def test_a_flood_closes_that_socket_only_and_a_second_close_is_quiet(server):
    for path in routes():
        with open_socket(server, path) as calm, open_socket(server, path) as flood:
            for _ in range(2000):
                try:
                    flood.send(json.dumps({"type": "ping"}))
                except ConnectionClosed:
                    break
            assert closed_with(flood) == 1008, path
            calm.send(json.dumps({"type": "ping"}))
            replies = []
            deadline = time.monotonic() + 10
            while "pong" not in replies and time.monotonic() < deadline:
                replies.append(json.loads(calm.recv(timeout=10)).get("type"))
            assert "pong" in replies, path
    # The fixture checks that the server logged no RuntimeError from the closes after 1008.


def test_at_most_the_cap_of_sockets_per_address(transactional_db):
    routes()
    with stack.asgi_server(WS_MAX_CONNECTIONS_PER_ADDRESS="5") as (_process, port):
        with contextlib.ExitStack() as open_sockets:
            sockets = [open_sockets.enter_context(open_socket(port, "/ws/ping/"))
                       for _ in range(5)]
            with open_socket(port, "/ws/ping/") as extra:
                assert closed_with(extra) == 1013
            sockets[0].close()
            time.sleep(0.5)
            with open_socket(port, "/ws/ping/") as again:
                again.send(json.dumps({"type": "ping"}))
                assert json.loads(again.recv(timeout=10))["type"] == "pong"
