"""The demo world: idempotent, and every demo challenge can be trained as seeded."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from challenges.models import Challenge
from challenges.services.submissions import spec_check
from challenges.world import load_world
from community.models import User

pytestmark = pytest.mark.django_db

NODE_CHALLENGES = [node.challenge for node in load_world().nodes]


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seeding_twice_changes_nothing_the_second_time():
    seed()
    counts = (User.objects.count(), Challenge.objects.count())
    second = seed()
    assert (User.objects.count(), Challenge.objects.count()) == counts
    assert "0 new" in second


def test_seeding_keeps_what_staff_edited():
    seed()
    Challenge.objects.filter(slug="blobs").update(daily_quota=3)
    seed()
    assert Challenge.objects.get(slug="blobs").daily_quota == 3


def test_at_least_three_published_challenges_with_lessons_thresholds_and_budgets():
    seed()
    challenges = Challenge.objects.filter(slug__in=[c.slug for c in NODE_CHALLENGES])
    assert challenges.count() >= 3
    for challenge in challenges:
        assert challenge.status == Challenge.Status.PUBLISHED and challenge.accepts_submissions()
        assert challenge.lesson.startswith("# ")
        assert challenge.unlock_threshold is not None
        assert (challenge.time_limit_seconds, challenge.daily_quota) == (120, 20)
    tasks = {c.slug: (c.task, c.metric) for c in challenges}
    assert tasks["fit-a-line"] == ("regression", "mse")
    assert tasks["spirals"] == ("multiclass", "accuracy")


@pytest.mark.parametrize("slug", [c.slug for c in load_world().challenges])
def test_every_seeded_starter_spec_passes_spec_check(slug):
    seed()
    challenge = Challenge.objects.get(slug=slug)
    spec, parameters = spec_check(challenge=challenge, spec=challenge.starter_spec)
    assert parameters <= challenge.max_parameters
    assert spec["epochs"] <= challenge.max_epochs


@pytest.mark.parametrize(
    ("slug", "at_least"), [("fit-a-line", None), ("blobs", 0.85), ("spirals", 0.90)]
)
def test_every_starter_spec_trains_to_a_decent_score(slug, at_least):
    from descent.engine import load_dataset, metrics, parse_spec, train

    fields = next(c for c in NODE_CHALLENGES if c.slug == slug)
    data = load_dataset(fields.dataset, seed=0, **fields.dataset_params)
    result = train(parse_spec(fields.starter_spec), data, metric=fields.metric)
    test_score = metrics.score(fields.metric, result.model, data.X_test, data.y_test, data.task)
    assert result.status == "succeeded"
    if at_least is None:  # mse: lower is better; the starter clears the unlock threshold
        assert test_score <= fields.unlock_threshold
    else:
        assert test_score >= at_least
