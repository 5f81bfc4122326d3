"""Notification settings: a builder mutes a kind ("my run finished") and hears no more of it."""

from __future__ import annotations

import pytest
from django.test import Client

from community.errors import InvalidInput
from community.models import Notification, NotificationMute
from community.notification_kinds import notification_kinds
from community.services.notifications import notification_create, notification_preferences_set

pytestmark = pytest.mark.django_db


def test_every_kind_the_product_sends_can_be_muted():
    kinds = notification_kinds()
    for kind in ("reply", "run.finished", "rank.beaten", "node.threshold_met", "node.cleared"):
        assert kinds.get(kind), f"{kind} is not offered on the settings page"


def test_a_muted_kind_is_neither_stored_nor_sent_and_others_still_arrive(author):
    notification_preferences_set(user=author, muted={"run.finished"})
    assert notification_create(recipient=author, kind="run.finished", text="done") is None
    assert notification_create(recipient=author, kind="reply", text="hi") is not None
    assert list(Notification.objects.filter(recipient=author).values_list("kind", flat=True)) \
        == ["reply"]


def test_unmuting_brings_the_kind_back(author):
    notification_preferences_set(user=author, muted={"run.finished", "reply"})
    notification_preferences_set(user=author, muted={"reply"})
    assert set(NotificationMute.objects.filter(user=author).values_list("kind", flat=True)) \
        == {"reply"}
    assert notification_create(recipient=author, kind="run.finished", text="done") is not None


def test_an_unknown_kind_is_refused_by_name(author):
    with pytest.raises(InvalidInput) as refused:
        notification_preferences_set(user=author, muted={"run.finishd"})
    assert refused.value.field == "muted" and "'run.finishd'" in refused.value.message


def test_the_settings_page_mutes_what_is_unticked(author):
    client = Client()
    client.force_login(author)
    page = client.get("/notifications/settings/").content.decode()
    assert 'name="hear" value="run.finished" checked' in page
    hear = [kind for kind in notification_kinds() if kind != "run.finished"]
    response = client.post("/notifications/settings/", {"hear": hear})
    assert response.status_code == 302
    page = client.get("/notifications/settings/").content.decode()
    assert 'name="hear" value="run.finished">' in page
    assert NotificationMute.objects.filter(user=author, kind="run.finished").exists()


def test_the_settings_page_names_a_bad_kind_and_changes_nothing(author):
    client = Client()
    client.force_login(author)
    response = client.post("/notifications/settings/", {"hear": ["nonsense"]})
    assert response.status_code == 400
    assert "hear: unknown notification kind &#x27;nonsense&#x27;" in response.content.decode()
    assert not NotificationMute.objects.filter(user=author).exists()
