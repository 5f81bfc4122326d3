"""The compare page (curves, pickers, parallel coordinates, spec diff) and the stepper API."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from challenges.models import PostRun, RunHistoryChunk
from challenges.selectors.compare import leaderboard_coordinates, parse_run_ids
from community.models import Category, Post, Thread
from descent.specdiff import spec_changes
from tests.support.factories import blobs_spec, make_challenge, make_run, make_user

pytestmark = pytest.mark.django_db

COMPARE_PAGE_QUERIES = 12


def with_history(run, epochs: int = 30):
    RunHistoryChunk.objects.create(run=run, attempt=run.attempt, first_epoch=1, records=[
        {"epoch": e, "train_loss": 1.0 / e, "val_loss": 1.1 / e} for e in range(1, epochs + 1)])
    return run


def test_run_ids_are_read_strictly_and_capped():
    assert parse_run_ids("3, 1,3,2") == ([3, 1, 2], [])
    ids, problems = parse_run_ids("1,x,2")
    assert ids == [1, 2] and "'x' is not a run id" in problems[0]
    ids, problems = parse_run_ids(",".join(str(i) for i in range(1, 20)))
    assert len(ids) == 8 and "at most 8" in problems[0]


def test_the_compare_page_overlays_visible_runs_and_says_which_it_cannot_show(client):
    challenge = make_challenge()
    runs = [with_history(make_run(challenge, make_user(), attempt=1)) for _ in range(3)]
    ids = ",".join(str(run.pk) for run in runs)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/compare/?runs={ids},999999")
    assert response.status_code == 200
    assert [curve["id"] for curve in response.context["curves"]] == [run.pk for run in runs]
    assert all(len(curve["history"]) == 30 for curve in response.context["curves"])
    assert "no run #999999 that you can see" in response.context["problems"]
    assert len(queries) <= COMPARE_PAGE_QUERIES, [q["sql"] for q in queries]


def test_pickers_take_the_leaderboards_top_and_your_runs(client):
    challenge, me = make_challenge(), make_user()
    scores = [0.5, 0.9, 0.7, 0.8]
    others = [make_run(challenge, make_user(), val_score=s, attempt=1) for s in scores]
    mine = make_run(challenge, me, val_score=0.1, attempt=1)
    top = client.get(f"/compare/?challenge={challenge.slug}&pick=top&top=2")
    assert [run.pk for run in top.context["runs"]] == [others[1].pk, others[3].pk]
    client.force_login(me)
    picked = client.get(f"/compare/?challenge={challenge.slug}&pick=mine")
    assert [run.pk for run in picked.context["runs"]] == [mine.pk]
    bad = client.get("/compare/?pick=top")
    assert "pick needs a challenge" in bad.context["problems"][0]


def test_a_threads_forks_are_a_picker(client):
    challenge, author = make_challenge(), make_user()
    source = make_run(challenge, author, attempt=1, shared=True)
    fork = make_run(challenge, make_user(), attempt=1, forked_from=source)
    category = Category.objects.first() or Category.objects.create(slug="help", name="Help")
    thread = Thread.objects.create(title="Try mine", category=category, author=author,
                                   last_post_at=timezone.now())
    post = Post.objects.create(thread=thread, author=author, body_markdown="x", body_html="x",
                               is_opening=True)
    PostRun.objects.create(post=post, run=source)
    response = client.get(f"/compare/?thread={thread.pk}")
    assert [run.pk for run in response.context["runs"]] == [source.pk, fork.pk]


def test_parallel_coordinates_show_only_specs_the_viewer_may_see():
    challenge, me, other = make_challenge(), make_user(), make_user()
    mine = make_run(challenge, me, val_score=0.9, attempt=1,
                    spec=blobs_spec(layers=[{"units": 16, "activation": "relu"},
                                            {"units": 8, "activation": "relu"},
                                            {"units": 3, "activation": "softmax"}]))
    make_run(challenge, other, val_score=0.95, attempt=1)  # private: counted, never shown
    shared = make_run(challenge, make_user(), val_score=0.8, attempt=1, shared=True,
                      spec=blobs_spec(batch_size="full", epochs=50))
    seen = leaderboard_coordinates(challenge=challenge, viewer=me)
    assert seen["hidden"] == 1
    assert [line["run"] for line in seen["lines"]] == [mine.pk, shared.pk]
    first = seen["lines"][0]
    assert (first["learning_rate"], first["optimizer"], first["batch_size"], first["depth"],
            first["width"], first["epochs"], first["score"]) == (0.05, "adam", 32, 3, 16, 20, 0.9)
    assert seen["lines"][1]["batch_size"] == 360  # "full": every training row
    theirs = leaderboard_coordinates(challenge=challenge, viewer=other)
    assert theirs["hidden"] == 1 and mine.pk not in [line["run"] for line in theirs["lines"]]


def test_two_runs_get_the_clis_spec_diff_only_when_both_specs_are_visible(client):
    challenge, me = make_challenge(), make_user()
    a = make_run(challenge, me, attempt=1)
    b = make_run(challenge, me, attempt=1, spec=blobs_spec(optimizer={"name": "sgd",
                                                                      "learning_rate": 0.1}))
    client.force_login(me)
    diff = client.get(f"/compare/?runs={a.pk},{b.pk}").context["diff"]
    paths = [row[0] for row in diff.rows]
    # The page diffs the specs as stored: PostgreSQL's jsonb keeps keys in its own order.
    a.refresh_from_db()
    b.refresh_from_db()
    assert paths == [path for path, _, _ in spec_changes(a.spec, b.spec)]
    assert "optimizer.name" in paths and ("optimizer.name", "'adam'", "'sgd'") in diff.rows
    client.force_login(make_user())
    assert client.get(f"/compare/?runs={a.pk},{b.pk}").context["diff"].rows is None


def test_the_stepper_api_replays_the_step_and_names_a_bad_field(client):
    slow = client.get("/api/blueprint/step/?optimizer=sgd&learning_rate=0.1").json()
    fast = client.get("/api/blueprint/step/?optimizer=sgd&learning_rate=1").json()
    w = slow["update"]["layers"][0]
    assert slow["update"]["learning_rate"] == 0.1
    # w ← w − α·∇J(w): the step is α times the gradient, so ten times α, ten times the step.
    for step, gradient in zip(w["step_W"][0], w["gradient_W"][0], strict=True):
        assert step == pytest.approx(0.1 * gradient, rel=1e-9, abs=1e-15)
    assert fast["update"]["layers"][0]["step_W"][0][0] == pytest.approx(
        10 * w["step_W"][0][0], rel=1e-9)
    assert len(client.get("/api/blueprint/step/?batch=2").json()["batch"]["X"]) == 2
    for query, field in (("learning_rate=-1", "learning_rate"),
                         ("learning_rate=abc", "learning_rate"),
                         ("learning_rate=100", "learning_rate"), ("optimizer=lbfgs", "optimizer"),
                         ("batch=99", "batch"), ("lr=0.1", "lr")):
        response = client.get(f"/api/blueprint/step/?{query}")
        assert response.status_code == 400, query
        assert field in response.json(), (query, response.json())


def test_the_stepper_page_shows_a_real_step(client):
    response = client.get("/blueprint/step/")
    assert response.status_code == 200
    trace = response.context["trace"]
    assert [layer["layer"] for layer in trace["forward"]] == [1, 2]
    assert trace["update"]["optimizer"] == "sgd"
    assert b'id="step-trace"' in response.content
