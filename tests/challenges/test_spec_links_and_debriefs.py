"""Less friction from a run page: "edit this spec", "debrief this run", the thread's run picker."""

from __future__ import annotations

import html
import json

import pytest
from django.test import Client

from challenges.models import PostRun, Run
from community.models import Category, Thread
from tests.support.factories import blobs_spec, make_challenge, make_run, make_user

pytestmark = pytest.mark.django_db


def client_for(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def editor_spec(page: str) -> dict:
    """The JSON the editor's textarea holds."""
    start = page.index(">", page.index('<textarea name="spec"')) + 1
    return json.loads(html.unescape(page[start:page.index("</textarea>", start)]))


def test_edit_this_spec_opens_the_editor_prefilled_with_the_owners_run():
    challenge, owner = make_challenge(slug="edit-me"), make_user()
    run = make_run(challenge, owner, spec=blobs_spec(epochs=7))
    run_page = client_for(owner).get(f"/runs/{run.pk}/").content.decode()
    assert f"/challenges/edit-me/submit/?from={run.pk}" in run_page

    editor = client_for(owner).get(f"/challenges/edit-me/submit/?from={run.pk}")
    page = editor.content.decode()
    assert editor_spec(page)["epochs"] == 7
    assert f'data-editing="{run.pk}"' in page and f"edit of run {run.pk}" in page
    assert 'name="forked_from"' in page and f'name="forked_from" value="{run.pk}"' not in page


def test_starting_from_someone_elses_visible_spec_is_recorded_as_a_fork():
    challenge, owner, other = make_challenge(slug="from-other"), make_user(), make_user()
    run = make_run(challenge, owner, shared=True, spec=blobs_spec(epochs=9))
    page = client_for(other).get(f"/challenges/from-other/submit/?from={run.pk}").content.decode()
    assert editor_spec(page)["epochs"] == 9
    assert f'name="forked_from" value="{run.pk}"' in page


def test_from_a_hidden_spec_starts_from_the_starter_and_says_why():
    challenge, owner, other = make_challenge(slug="from-hidden"), make_user(), make_user()
    run = make_run(challenge, owner, spec=blobs_spec(epochs=9))
    page = client_for(other).get(
        f"/challenges/from-hidden/submit/?from={run.pk}").content.decode()
    assert editor_spec(page)["epochs"] == challenge.starter_spec["epochs"]
    assert f"Run {run.pk}&#x27;s spec is not visible to you" in page


def test_debrief_this_run_opens_a_thread_form_with_the_run_picked():
    Category.objects.get_or_create(slug="debriefs", defaults={"name": "Debriefs"})
    challenge, owner = make_challenge(slug="debrief-me", title="Debrief me"), make_user()
    run = make_run(challenge, owner, val_loss=0.25)
    older = make_run(challenge, owner)
    run_page = client_for(owner).get(f"/runs/{run.pk}/").content.decode()
    assert f"/board/new/?run={run.pk}&amp;category=debriefs" in run_page
    assert f"/board/new/?run={run.pk}" not in client_for(make_user()).get(
        f"/runs/{run.pk}/").content.decode()

    form = client_for(owner).get(f"/board/new/?run={run.pk}&category=debriefs").content.decode()
    assert f'<option value="{run.pk}" selected>#{run.pk} · Debrief me · succeeded' in form
    assert f'<option value="{older.pk}">' in form
    assert "makes the run&#x27;s spec public" in form
    assert f'value="Debrief: run #{run.pk}"' in form


def test_the_thread_form_attaches_the_picked_run_and_shares_its_spec():
    Category.objects.get_or_create(slug="debriefs", defaults={"name": "Debriefs"})
    challenge, owner = make_challenge(slug="attach-me"), make_user()
    run = make_run(challenge, owner)
    response = client_for(owner).post("/board/new/", {
        "category": "debriefs", "title": "What the loss did", "body": "It fell.",
        "run": str(run.pk)})
    assert response.status_code == 302
    thread = Thread.objects.get(title="What the loss did")
    assert PostRun.objects.filter(post__thread=thread, run=run).exists()
    assert Run.objects.get(pk=run.pk).shared


def test_the_picker_offers_only_the_posters_own_runs():
    Category.objects.get_or_create(slug="debriefs", defaults={"name": "Debriefs"})
    challenge, owner, other = make_challenge(slug="not-yours"), make_user(), make_user()
    theirs = make_run(challenge, other)
    form = client_for(owner).get("/board/new/").content.decode()
    assert f'<option value="{theirs.pk}"' not in form
    response = client_for(owner).post("/board/new/", {
        "category": "debriefs", "title": "Not mine", "body": "x", "run": str(theirs.pk)})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Thread.objects.filter(title="Not mine").exists()
