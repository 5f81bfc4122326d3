"""The board index hears of new threads live, over its presence socket (/ws/presence/board/)."""

from __future__ import annotations

import json
import time

import pytest
from django.db import transaction
from websockets.sync.client import connect

from community.models import Category
from community.services.threads import thread_create
from tests.community.conftest import make_user


def next_of_type(ws, kind: str, timeout: float = 15.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        if message.get("type") == kind:
            return message
    raise AssertionError(f"no {kind} within {timeout} s")


@pytest.mark.stack
def test_a_new_thread_reaches_everyone_on_the_board_after_commit(live_server_port):
    author = make_user("ada")
    category = Category.objects.get_or_create(slug="help", defaults={"name": "Help"})[0]
    url = f"ws://127.0.0.1:{live_server_port}/ws/presence/board/"
    with connect(url, origin=f"http://127.0.0.1:{live_server_port}", open_timeout=10) as ws:
        assert next_of_type(ws, "presence.update")["online"] >= 1

        # A rolled-back thread is never announced; the committed one after it is.
        with pytest.raises(RuntimeError), transaction.atomic():
            thread_create(author=author, category=category, title="Rolled back", body="x")
            raise RuntimeError
        thread, _post = thread_create(author=author, category=category,
                                      title="Loss goes to NaN", body="lr 10")
        message = next_of_type(ws, "board.thread")
        assert message["thread"] == {"id": thread.pk, "title": "Loss goes to NaN",
                                     "category": "help", "url": thread.get_absolute_url()}
