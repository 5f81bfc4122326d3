"""The home page at `/` and its live figures: who is online, what trains, who moved, debriefs."""

from __future__ import annotations

import datetime as dt

import pytest
from asgiref.sync import async_to_sync
from django.test import Client
from django.utils import timezone

from challenges.models import BlueprintNode, Challenge, RunStatus
from challenges.selectors.home import (
    MOVE_BOARDS,
    builders_online,
    home_figures,
    leaderboard_moves,
)
from community.models import Category
from community.services.threads import thread_create
from descent.live.presence import member_for, presence_leave, presence_touch
from descent.redis import get_redis
from tests.support.factories import make_challenge, make_run, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_presence():
    """Start and end with nobody present (entries of other tests lapse only after a minute)."""
    def clear() -> None:
        keys = list(get_redis().scan_iter(match="descent:presence:*"))
        if keys:
            get_redis().delete(*keys)
    clear()
    yield
    clear()


def finished(challenge, user, score, *, minutes_ago=0, **fields):
    run = make_run(challenge, user, val_score=score, **fields)
    run.finished_at = timezone.now() - dt.timedelta(minutes=minutes_ago)
    run.save(update_fields=["finished_at"])
    return run


def test_the_home_page_says_what_descent_is_and_points_at_the_first_open_node():
    first = make_challenge(slug="first-node", title="Fit a line")
    second = make_challenge(slug="second-node", title="Blobs")
    root = BlueprintNode.objects.create(challenge=first, title="Fit a line with MSE", position=1)
    BlueprintNode.objects.create(challenge=second, title="Classify blobs",
                                 position=2).prerequisites.add(root)
    page = Client().get("/").content.decode()
    assert "Descent is a challenge server for learning how neural networks learn" in page
    assert "OPTIMIZE /// GRADIENT DESCENT /// LEARNING RATE ///" in page
    assert 'href="/blueprint/first-node/" data-start-here>' in page
    assert "Start here: Fit a line with MSE" in page
    assert 'class="path-step state-locked"' in page  # the second node, still locked
    assert 'data-url="/home/figures/"' in page and "home/home.js" in page


def test_the_brand_link_on_every_page_goes_home():
    make_challenge(slug="any")
    for path in ["/", "/challenges/", "/challenges/any/", "/board/", "/blueprint/"]:
        assert '<a class="brand" href="/">' in Client().get(path).content.decode(), path


def test_the_figures_count_runs_in_flight_but_not_those_of_drafts():
    open_one = make_challenge(slug="open-one")
    draft = make_challenge(slug="draft-one", status=Challenge.Status.DRAFT)
    user = make_user()
    make_run(open_one, user, status=RunStatus.RUNNING, val_score=None)
    make_run(open_one, user, status=RunStatus.RUNNING, val_score=None)
    make_run(open_one, user, status=RunStatus.QUEUED, val_score=None)
    make_run(draft, user, status=RunStatus.RUNNING, val_score=None)
    figures = home_figures()
    assert (figures["running"], figures["queued"], figures["challenges_open"]) == (2, 1, 1)
    page = Client().get("/").content.decode()
    assert 'data-figure="running">2<' in page and 'data-figure="queued">1<' in page


def test_builders_online_counts_each_builder_once_across_rooms_and_each_anonymous_tab():
    ada, grace = make_user("ada"), make_user("grace")
    touch = async_to_sync(presence_touch)
    touch("board", member_for(ada, "channel-1"))
    touch("challenge:spirals", member_for(ada, "channel-2"))  # ada again, another tab
    touch("challenge:spirals", member_for(grace, "channel-3"))
    touch("board", member_for(None, "channel-4"))
    assert builders_online() == 3
    async_to_sync(presence_leave)("challenge:spirals", member_for(grace, "channel-3"))
    assert builders_online() == 2
    assert builders_online(now=timezone.now().timestamp() + 3600) == 0  # all lapsed by then


def test_a_move_is_a_builders_best_run_on_an_open_board_newest_first():
    blobs = make_challenge(slug="blobs-moves", title="Blobs")
    closed = make_challenge(slug="closed-moves", status=Challenge.Status.CLOSED)
    ada, grace = make_user("ada"), make_user("grace")
    best = finished(blobs, ada, 0.95, minutes_ago=10)
    finished(blobs, ada, 0.80, minutes_ago=1)  # newer but worse: ada's place comes from `best`
    graces = finished(blobs, grace, 0.90, minutes_ago=5)
    finished(closed, grace, 0.99, minutes_ago=0)  # a final board moves no more
    finished(blobs, grace, 0.99, minutes_ago=0, ranked=False)  # a lab run never ranks
    moves = leaderboard_moves()
    assert [(m.user, m.run, m.rank) for m in moves] == [("grace", graces.pk, 2),
                                                         ("ada", best.pk, 1)]
    assert moves[0].as_dict()["url"] == f"/runs/{graces.pk}/"


def test_the_newest_debriefs_come_from_the_debrief_category():
    debriefs, help_ = Category.objects.get(slug="debriefs"), Category.objects.get(slug="help")
    ada = make_user("ada")
    thread_create(author=ada, category=debriefs, title="Adam at 0.01 won", body="It did.")
    thread_create(author=ada, category=help_, title="Why NaN?", body="Help.")
    titles = [thread["title"] for thread in home_figures()["debriefs"]]
    assert titles == ["Adam at 0.01 won"]
    assert "Adam at 0.01 won" in Client().get("/").content.decode()


def test_the_figures_endpoint_returns_the_same_selector_as_json_uncached():
    challenge = make_challenge(slug="json-one")
    run = finished(challenge, make_user("ada"), 0.9)
    response = Client().get("/home/figures/")
    assert response.status_code == 200 and "no-cache" in response["Cache-Control"]
    body = response.json()
    assert set(body) == {"online", "running", "queued", "challenges_open", "moves", "debriefs"}
    assert body["moves"][0]["run"] == run.pk and body["moves"][0]["rank"] == 1
    assert Client().post("/home/figures/").status_code == 405


def test_the_home_page_costs_the_same_queries_with_few_boards_or_many(
        django_assert_max_num_queries):
    # The moves rank at most MOVE_BOARDS boards: past that, more boards cost nothing more.
    def fill(count: int) -> None:
        for i in range(count):
            challenge = make_challenge(slug=f"q-{count}-{i}")
            BlueprintNode.objects.create(challenge=challenge, title=f"Node {i}", position=i)
            for j in range(3):
                finished(challenge, make_user(), 0.5 + j / 10, minutes_ago=i)
    viewer = make_user("viewer")
    client = Client()
    client.force_login(viewer)
    fill(MOVE_BOARDS)
    with django_assert_max_num_queries(25) as few:
        assert client.get("/").status_code == 200
    fill(12)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/").status_code == 200
