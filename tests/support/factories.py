"""Builders of test objects: users, challenges, runs, specs."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.utils import timezone

from challenges.models import Challenge, Run, RunStatus
from challenges.services.best_entries import best_entries_refresh_run
from challenges.services.challenges import challenge_save
from community.models import User
from descent.engine.spec import parse_spec, spec_hash

_counter = itertools.count(1)


def make_user(username: str | None = None, *, staff: bool = False) -> User:
    username = username or f"builder{next(_counter)}"
    user = User.objects.create_user(username=username, password="a-long-test-password-1")
    if staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return user


def blobs_spec(**overrides: Any) -> dict[str, Any]:
    """A small spec that fits the `blobs` dataset (2 inputs, 3 classes) and trains in ms."""
    spec: dict[str, Any] = {
        "layers": [{"units": 8, "activation": "relu"}, {"units": 3, "activation": "softmax"}],
        "loss": "cross_entropy",
        "optimizer": {"name": "adam", "learning_rate": 0.05},
        "epochs": 20,
        "batch_size": 32,
        "seed": 1,
    }
    spec.update(overrides)
    return spec


def make_challenge(slug: str | None = None, **fields: Any) -> Challenge:
    defaults: dict[str, Any] = {
        "slug": slug or f"blobs-{next(_counter)}",
        "title": "Blobs",
        "dataset": "blobs",
        "metric": "accuracy",
        "status": Challenge.Status.PUBLISHED,
        "daily_quota": 5,
        "time_limit_seconds": 60,
        "max_parameters": 10_000,
        "max_epochs": 100_000,
        "starter_spec": blobs_spec(),
    }
    defaults.update(fields)
    return challenge_save(Challenge(**defaults))


def make_run(challenge: Challenge, owner: User, *, status: str = RunStatus.SUCCEEDED,
             val_score: float | None = 0.9, test_score: float | None = 0.9,
             parameter_count: int = 51, created_at: dt.datetime | None = None,
             spec: dict[str, Any] | None = None, **fields: Any) -> Run:
    normalised = parse_spec(spec or blobs_spec())
    run = Run.objects.create(
        owner=owner, challenge=challenge, spec=normalised, spec_hash=spec_hash(normalised),
        status=status, val_score=val_score, test_score=test_score,
        parameter_count=parameter_count, quota_day=timezone.now().date(), **fields,
    )
    if created_at is not None:
        Run.objects.filter(pk=run.pk).update(created_at=created_at)
        run.refresh_from_db()
    # A made run is as if it had finished through run_finish: the kept board knows it.
    best_entries_refresh_run(run=run)
    return run
