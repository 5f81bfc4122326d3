"""Notifications: created after commit, listed and marked read, pushed over /ws/notifications/."""

from __future__ import annotations

import json

import pytest
from django.db import transaction
from django.test import Client
from websockets.sync.client import connect

from community.models import Category, Notification
from community.services.notifications import (
    notification_create,
    notification_group,
    notification_payload,
)
from community.services.posts import post_create
from community.services.threads import thread_create
from tests.community.conftest import api_client, make_user
from tests.support.live import watch_group


@pytest.mark.django_db
def test_a_reply_to_your_thread_notifies_you_but_your_own_reply_does_not(
    thread_and_post, author, other
):
    thread, _post = thread_and_post
    post_create(thread=thread, author=author, body="self reply")
    assert not Notification.objects.exists()
    reply = post_create(thread=thread, author=other, body="nice")
    notification = Notification.objects.get(recipient=author)
    assert notification.kind == "reply"
    assert notification.url == f"/board/t/{thread.pk}/#post-{reply.pk}"
    assert "grace replied" in notification.text


@pytest.mark.django_db(transaction=True)
def test_nothing_is_published_for_a_rolled_back_notification(author):
    with watch_group(notification_group(author.pk)) as bell:
        with pytest.raises(RuntimeError), transaction.atomic():
            notification_create(recipient=author, kind="run.finished", text="done",
                                url="/runs/1/")
            raise RuntimeError("roll back")
        assert not Notification.objects.exists()
        notification = notification_create(recipient=author, kind="run.finished", text="done",
                                           url="/runs/1/")
        assert bell.received() == [{"type": "notification.created", "unread": 1,
                                    "notification": notification_payload(notification)}]


@pytest.mark.django_db
def test_notifications_are_listed_with_an_unread_count_and_marked_read(author):
    for index in range(3):
        notification_create(recipient=author, kind="reply", text=f"n{index}", url="/board/")
    client = api_client(author)
    listing = client.get("/api/notifications/").json()
    assert listing["unread"] == 3 and [n["text"] for n in listing["results"]] == ["n2", "n1", "n0"]
    first = listing["results"][0]["id"]
    assert client.post("/api/notifications/read/", {"ids": [first]}, format="json").json() == {
        "marked": 1,
        "unread": 2,
    }
    assert client.post("/api/notifications/read/", {}, format="json").json()["unread"] == 0


@pytest.mark.django_db
def test_a_builder_cannot_mark_someone_elses_notifications_read(author, other):
    notification = notification_create(recipient=author, kind="reply", text="x")
    response = api_client(other).post(
        "/api/notifications/read/", {"ids": [notification.pk]}, format="json"
    )
    assert response.json()["marked"] == 0
    notification.refresh_from_db()
    assert notification.read_at is None


@pytest.mark.django_db
def test_the_bell_shows_the_unread_count_on_board_pages(author, client):
    notification_create(recipient=author, kind="reply", text="someone replied")
    client.force_login(author)
    page = client.get("/board/").content.decode()
    assert (
        "data-bell" in page and "someone replied" in page and "community/notifications.js" in page
    )


def _session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


@pytest.mark.stack
def test_a_reply_reaches_the_thread_authors_socket_live(live_server_port):
    author, replier = make_user("ada"), make_user("grace")
    category = Category.objects.get_or_create(slug="debriefs", defaults={"name": "Debriefs"})[0]
    thread, _post = thread_create(author=author, category=category, title="MLP", body="x")
    url = f"ws://127.0.0.1:{live_server_port}/ws/notifications/"
    with connect(
        url,
        origin=f"http://127.0.0.1:{live_server_port}",
        additional_headers={"Cookie": f"sessionid={_session_cookie(author)}"},
        open_timeout=10,
    ) as ws:
        snapshot = json.loads(ws.recv(timeout=10))
        assert snapshot == {"type": "notifications.snapshot", "unread": 0, "notifications": []}

        # This test process is not the server: the event can only arrive through Redis.
        post_create(thread=thread, author=replier, body="try momentum")
        message = json.loads(ws.recv(timeout=10))
        assert message["type"] == "notification"
        assert message["unread"] == 1
        assert message["notification"]["kind"] == "reply"
        assert message["notification"]["text"] == "grace replied to “MLP”"


@pytest.mark.stack
def test_an_anonymous_socket_is_closed_with_4401(live_server_port):
    url = f"ws://127.0.0.1:{live_server_port}/ws/notifications/"
    with connect(url, origin=f"http://127.0.0.1:{live_server_port}", open_timeout=10) as ws:
        with pytest.raises(Exception) as closed:
            ws.recv(timeout=10)
    assert ws.close_code == 4401, closed.value
