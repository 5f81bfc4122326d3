"""WebSockets through a real ASGI server and the Redis channel layer."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from descent.consumers import SYSTEM_GROUP

pytestmark = pytest.mark.stack


def test_ping_is_answered_and_a_group_send_from_outside_reaches_the_client(live_server_port):
    url = f"ws://127.0.0.1:{live_server_port}/ws/ping/"
    with connect(url, origin=f"http://127.0.0.1:{live_server_port}", open_timeout=10) as ws:
        ws.send(json.dumps({"type": "ping", "id": 7}))
        assert json.loads(ws.recv(timeout=10)) == {"type": "pong", "id": 7}

        # This test process is not the server: the message can only arrive through Redis.
        async_to_sync(get_channel_layer().group_send)(
            SYSTEM_GROUP, {"type": "system.message", "text": "the loss went down"}
        )
        assert json.loads(ws.recv(timeout=10)) == {
            "type": "system.message",
            "text": "the loss went down",
        }


def test_a_foreign_origin_is_refused(live_server_port):
    url = f"ws://127.0.0.1:{live_server_port}/ws/ping/"
    with pytest.raises(InvalidStatus) as refused:
        with connect(url, origin="http://evil.example", open_timeout=10):
            pass
    assert refused.value.response.status_code == 403
