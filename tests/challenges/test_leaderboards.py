"""Leaderboards: best run per builder, order, ties, what never ranks, the shake-up."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from challenges.models import Challenge, RunStatus
from challenges.selectors.leaderboards import leaderboard_get
from tests.support.factories import make_challenge, make_run, make_user

pytestmark = pytest.mark.django_db


def names(challenge: Challenge) -> list[str]:
    return [entry.user for entry in leaderboard_get(challenge=challenge)]


def test_each_builder_ranks_once_with_their_best_run():
    challenge = make_challenge()
    ada, bob = make_user("ada"), make_user("bob")
    make_run(challenge, ada, val_score=0.70)
    best = make_run(challenge, ada, val_score=0.95)
    make_run(challenge, bob, val_score=0.90)
    entries = leaderboard_get(challenge=challenge)
    assert [(e.rank, e.user) for e in entries] == [(1, "ada"), (2, "bob")]
    assert entries[0].run == best.pk


def test_lower_is_better_metrics_rank_ascending():
    challenge = make_challenge(dataset="linear", metric="mse",
                               starter_spec={})
    make_run(challenge, make_user("ada"), val_score=0.5)
    make_run(challenge, make_user("bob"), val_score=0.1)
    assert names(challenge) == ["bob", "ada"]


def test_ties_go_to_fewer_parameters_then_the_earlier_submission():
    challenge = make_challenge()
    now = timezone.now()
    make_run(challenge, make_user("late"), val_score=0.9, parameter_count=51, created_at=now)
    make_run(challenge, make_user("early"), val_score=0.9, parameter_count=51,
             created_at=now - dt.timedelta(hours=1))
    make_run(challenge, make_user("small"), val_score=0.9, parameter_count=20,
             created_at=now + dt.timedelta(hours=1))
    assert names(challenge) == ["small", "early", "late"]


@pytest.mark.parametrize(
    ("status", "score", "fields"),
    [
        (RunStatus.DIVERGED, 0.99, {}),
        (RunStatus.FAILED, 0.99, {}),
        (RunStatus.RUNNING, 0.99, {}),
        (RunStatus.SUCCEEDED, None, {}),
        (RunStatus.SUCCEEDED, float("nan"), {}),
        (RunStatus.SUCCEEDED, 0.99, {"disqualified_reason": "used the test set"}),
        (RunStatus.SUCCEEDED, 0.99, {"ranked": False}),
    ],
)
def test_runs_without_a_real_score_never_rank(status, score, fields):
    challenge = make_challenge()
    make_run(challenge, make_user("steady"), val_score=0.5)
    make_run(challenge, make_user("broken"), status=status, val_score=score, **fields)
    assert names(challenge) == ["steady"]


def test_a_nan_run_never_hides_the_builders_real_best():
    challenge = make_challenge()
    ada = make_user("ada")
    make_run(challenge, ada, val_score=float("nan"))
    good = make_run(challenge, ada, val_score=0.8)
    make_run(challenge, make_user("bob"), val_score=float("inf"))
    entries = leaderboard_get(challenge=challenge)
    assert [(e.user, e.run) for e in entries] == [("ada", good.pk)]


def test_after_close_the_test_score_ranks_and_the_shake_up_shows():
    challenge = make_challenge()
    make_run(challenge, make_user("overfit"), val_score=0.99, test_score=0.70)
    make_run(challenge, make_user("robust"), val_score=0.90, test_score=0.93)
    open_entries = leaderboard_get(challenge=challenge)
    assert [e.user for e in open_entries] == ["overfit", "robust"]
    assert all(e.test_score is None for e in open_entries)  # hidden while open

    challenge.status = Challenge.Status.CLOSED
    challenge.save(update_fields=["status"])
    closed = leaderboard_get(challenge=challenge)
    assert [(e.user, e.rank, e.val_rank, e.rank_change) for e in closed] == [
        ("robust", 1, 2, 1), ("overfit", 2, 1, -1)
    ]


def test_the_query_count_does_not_grow_with_the_entries(django_assert_max_num_queries):
    small, large = make_challenge(), make_challenge()
    for i in range(3):
        make_run(small, make_user(), val_score=i / 10)
    for i in range(40):
        make_run(large, make_user(), val_score=i / 100)
    for challenge, count in ((small, 3), (large, 40)):
        with django_assert_max_num_queries(1):
            assert len(leaderboard_get(challenge=challenge)) == count
