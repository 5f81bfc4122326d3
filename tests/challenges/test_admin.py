"""The admin: saving through the services, the data preview, challenge and run actions."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from challenges.models import Challenge, Run, RunStatus
from tests.support.factories import blobs_spec, make_challenge, make_run, make_user

pytestmark = pytest.mark.django_db


def challenge_form(**overrides) -> dict:
    form = {
        "title": "Moons",
        "slug": "moons",
        "status": "draft",
        "lesson": "# Moons",
        "dataset": "moons",
        "dataset_params": "{}",
        "dataset_seed": "0",
        "metric": "accuracy",
        "unlock_threshold": "",
        "max_parameters": "1000",
        "max_epochs": "100",
        "max_work": "1000000000",
        "time_limit_seconds": "60",
        "daily_quota": "10",
        "opens_at_0": "",
        "opens_at_1": "",
        "closes_at_0": "",
        "closes_at_1": "",
        "starter_spec": "{}",
    }
    form.update(overrides)
    return form


def test_adding_a_challenge_derives_task_and_direction(admin_client):
    response = admin_client.post("/admin/challenges/challenge/add/", challenge_form())
    assert response.status_code == 302, response.content.decode()[:3000]
    challenge = Challenge.objects.get(slug="moons")
    assert (challenge.task, challenge.metric_direction) == ("binary", "max")


def test_a_metric_that_does_not_fit_the_task_is_an_error_on_the_metric_field(admin_client):
    response = admin_client.post("/admin/challenges/challenge/add/", challenge_form(metric="mse"))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "does not fit a binary task" in errors["metric"][0]
    assert not Challenge.objects.exists()


def test_an_unknown_dataset_is_an_error_on_the_dataset_field(admin_client):
    response = admin_client.post("/admin/challenges/challenge/add/", challenge_form(dataset="nope"))
    assert "dataset" in response.context["adminform"].form.errors


def test_a_starter_spec_that_does_not_fit_is_an_error_on_the_starter_spec(admin_client):
    bad = (
        '{"layers": [{"units": 3, "activation": "softmax"}], "loss": "cross_entropy", '
        '"optimizer": {"name": "adam", "learning_rate": 0.01}}'
    )
    response = admin_client.post(
        "/admin/challenges/challenge/add/", challenge_form(starter_spec=bad)
    )
    errors = response.context["adminform"].form.errors["starter_spec"]
    assert any(message.startswith("layers[0].units:") for message in errors)


def test_the_change_page_previews_the_train_split(admin_client):
    challenge = make_challenge(slug="preview")
    page = admin_client.get(f"/admin/challenges/challenge/{challenge.pk}/change/").content
    page = page.decode()
    assert "360 train · 120 validation · 120 test (hidden)" in page
    assert "data:image/png;base64," in page


def test_publish_and_close_actions(admin_client):
    challenge = make_challenge(slug="lifecycle", status=Challenge.Status.DRAFT)
    url = "/admin/challenges/challenge/"
    admin_client.post(url, {"action": "publish", ACTION_CHECKBOX_NAME: [challenge.pk]})
    challenge.refresh_from_db()
    assert challenge.status == Challenge.Status.PUBLISHED
    admin_client.post(url, {"action": "close", ACTION_CHECKBOX_NAME: [challenge.pk]})
    challenge.refresh_from_db()
    assert challenge.status == Challenge.Status.CLOSED


def test_recompute_leaderboard_reports_the_ranked_builders(admin_client):
    challenge = make_challenge(slug="recompute")
    make_run(challenge, make_user())
    response = admin_client.post(
        "/admin/challenges/challenge/",
        {
            "action": "recompute_leaderboard",
            ACTION_CHECKBOX_NAME: [challenge.pk],
        },
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == ["recompute: 1 ranked builder(s)."]


def test_disqualify_asks_for_a_reason_then_the_owner_sees_it(admin_client, client):
    challenge, owner = make_challenge(slug="dq"), make_user()
    run = make_run(challenge, owner)
    url = "/admin/challenges/run/"
    confirm = admin_client.post(url, {"action": "disqualify", ACTION_CHECKBOX_NAME: [run.pk]})
    assert confirm.status_code == 200 and 'name="reason"' in confirm.content.decode()
    run.refresh_from_db()
    assert run.disqualified_reason == ""

    admin_client.post(
        url,
        {
            "action": "disqualify",
            ACTION_CHECKBOX_NAME: [run.pk],
            "apply": "Disqualify",
            "reason": "Trained on the test split.",
        },
    )
    run.refresh_from_db()
    assert run.disqualified_reason == "Trained on the test split."
    client.force_login(owner)
    assert "Trained on the test split." in client.get(f"/runs/{run.pk}/").content.decode()
    filtered = admin_client.get(url, {"disqualified": "yes"})
    assert list(filtered.context["cl"].queryset) == [run]


def test_disqualify_without_a_reason_changes_nothing(admin_client):
    run = make_run(make_challenge(slug="dq-empty"), make_user())
    response = admin_client.post(
        "/admin/challenges/run/",
        {
            "action": "disqualify",
            ACTION_CHECKBOX_NAME: [run.pk],
            "apply": "1",
            "reason": "",
        },
    )
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    run.refresh_from_db()
    assert not run.disqualified


def test_rerun_creates_a_run_outside_the_quota(admin_client):
    challenge, owner = make_challenge(slug="rerun"), make_user()
    run = make_run(challenge, owner, spec=blobs_spec(epochs=7))
    admin_client.post("/admin/challenges/run/", {"action": "rerun", ACTION_CHECKBOX_NAME: [run.pk]})
    rerun = Run.objects.exclude(pk=run.pk).get()
    assert (rerun.owner, rerun.spec, rerun.status) == (owner, run.spec, RunStatus.QUEUED)
    assert rerun.counts_toward_quota is False


def test_cancel_action_cancels_live_runs_only(admin_client):
    challenge, owner = make_challenge(slug="cancel-admin"), make_user()
    queued = make_run(challenge, owner, status=RunStatus.QUEUED, val_score=None)
    done = make_run(challenge, owner, status=RunStatus.SUCCEEDED)
    admin_client.post(
        "/admin/challenges/run/", {"action": "cancel", ACTION_CHECKBOX_NAME: [queued.pk, done.pk]}
    )
    queued.refresh_from_db()
    done.refresh_from_db()
    assert (queued.status, done.status) == (RunStatus.CANCELLED, RunStatus.SUCCEEDED)


def test_the_run_change_page_edits_only_note_sharing_and_ranking(admin_client):
    run = make_run(make_challenge(slug="edit"), make_user(), val_score=0.5)
    page = admin_client.get(f"/admin/challenges/run/{run.pk}/change/")
    assert set(page.context["adminform"].form.fields) == {"note", "shared", "ranked"}
    Run.objects.filter(pk=run.pk).update(val_score=0.75)  # a worker writes meanwhile
    response = admin_client.post(
        f"/admin/challenges/run/{run.pk}/change/",
        {"note": "checked", "shared": "on", "ranked": "on"},
    )
    assert response.status_code == 302
    run.refresh_from_db()
    assert (run.note, run.shared, run.val_score) == ("checked", True, 0.75)
