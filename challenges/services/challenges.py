"""Challenge writes: derive what the dataset decides, publish, close."""

from __future__ import annotations

from django.db import transaction

from challenges.errors import ChallengeInvalid
from challenges.models import METRIC_DIRECTIONS, Challenge
from challenges.selectors.datasets import challenge_dataset
from descent.engine.metrics import metrics_for_task


def challenge_derive(challenge: Challenge) -> Challenge:
    """Fill the task and metric direction from the dataset and metric (no save)."""
    try:
        data = challenge_dataset(challenge)
    except (ValueError, TypeError) as exc:
        raise ChallengeInvalid({"dataset": [str(exc)]}) from exc
    challenge.task = data.task
    if challenge.metric not in METRIC_DIRECTIONS:
        raise ChallengeInvalid({"metric": [f"use one of {', '.join(METRIC_DIRECTIONS)}"]})
    fitting = metrics_for_task(data.task)
    if challenge.metric not in fitting:
        fits = " or ".join(fitting)
        raise ChallengeInvalid(
            {"metric": [f"{challenge.metric!r} does not fit a {data.task} task; use {fits}"]}
        )
    challenge.metric_direction = METRIC_DIRECTIONS[challenge.metric]
    return challenge


@transaction.atomic
def challenge_save(challenge: Challenge) -> Challenge:
    """Validate against the dataset, derive task and direction, and save."""
    challenge_derive(challenge)
    challenge.full_clean()
    challenge.save()
    return challenge


@transaction.atomic
def challenge_set_status(*, challenge: Challenge, status: str) -> Challenge:
    """Publish or close a challenge."""
    challenge.status = status
    challenge.save(update_fields=["status", "updated_at"])
    return challenge
