"""Submitting a spec to a challenge: validate it, spend quota safely, write the run, enqueue.

The run row is written first; the training task is enqueued only after the transaction
commits, so a worker never looks for a run that a rollback undid.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from challenges.errors import ChallengeNotOpen, QuotaExceeded, SubmissionRejected
from challenges.models import QUOTA_STATUSES, Challenge, QuotaDay, Run
from challenges.selectors.datasets import challenge_dataset
from challenges.services.run_cards import forks_counted
from challenges.services.runs import run_create, utc_day
from descent.engine.budget import estimate_budget
from descent.engine.spec import SpecError, validate_for_data


@dataclass(frozen=True)
class QuotaStatus:
    """A builder's runs for one challenge on one UTC day."""

    limit: int
    used: int
    resets_at: dt.datetime

    @property
    def left(self) -> int:
        return max(0, self.limit - self.used)

    def retry_after(self, now: dt.datetime | None = None) -> int:
        now = now or timezone.now()
        return max(1, int((self.resets_at - now).total_seconds()) + 1)


def next_utc_midnight(now: dt.datetime) -> dt.datetime:
    day = utc_day(now) + dt.timedelta(days=1)
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def quota_status(*, user: Any, challenge: Challenge, now: dt.datetime | None = None) -> QuotaStatus:
    """Count the runs that spend today's quota: queued, running, succeeded and diverged.

    Failed, timed-out and cancelled runs are refunded. Queued and running runs count until
    they end, so that nobody can queue past the quota.
    """
    now = now or timezone.now()
    used = Run.objects.filter(
        owner=user, challenge=challenge, quota_day=utc_day(now), counts_toward_quota=True,
        status__in=QUOTA_STATUSES,
    ).count()
    return QuotaStatus(limit=challenge.daily_quota, used=used, resets_at=next_utc_midnight(now))


def spec_check(*, challenge: Challenge, spec: Any) -> tuple[dict[str, Any], int]:
    """Validate a spec against the challenge's data and budgets; return it and its size.

    Raises `SubmissionRejected` with every problem, keyed by field path (CONTRACT §1).
    """
    data = challenge_dataset(challenge)
    try:
        # validate_for_data parses the raw spec itself: parsing it here first was a second parse.
        normalised = validate_for_data(
            spec, task=data.task, n_inputs=data.n_inputs, n_outputs=data.n_outputs,
            n_classes=data.n_classes, dataset_name=challenge.slug, kind="challenge",
        )
    except SpecError as exc:
        raise SubmissionRejected(exc.errors) from exc
    budget = estimate_budget(normalised, n_inputs=data.n_inputs, n_train=len(data.X_train),
                             parsed=True)
    errors: dict[str, list[str]] = {}
    if budget.parameters > challenge.max_parameters:
        errors["budget.max_parameters"] = [
            f"the network has {budget.parameters:,} parameters; challenge "
            f"'{challenge.slug}' allows {challenge.max_parameters:,}: use fewer or smaller layers"
        ]
    if normalised["epochs"] > challenge.max_epochs:
        errors["epochs"] = [
            f"{normalised['epochs']:,} epochs is over challenge '{challenge.slug}''s budget of "
            f"{challenge.max_epochs:,}: lower epochs"
        ]
    if budget.macs_total > challenge.max_work:
        errors["budget.max_work"] = [
            f"training would take an estimated {budget.macs_total:,} multiply-adds; challenge "
            f"'{challenge.slug}' allows {challenge.max_work:,}: use fewer epochs, "
            "fewer parameters or early_stopping"
        ]
    if errors:
        raise SubmissionRejected(errors)
    return normalised, budget.parameters


def _lock_quota_day(*, user: Any, challenge: Challenge, day: dt.date) -> None:
    try:
        with transaction.atomic():
            QuotaDay.objects.get_or_create(owner=user, challenge=challenge, day=day)
    except IntegrityError:
        pass  # a concurrent request created it first; lock it below
    QuotaDay.objects.select_for_update().get(owner=user, challenge=challenge, day=day)


def run_submit(
    *,
    user: Any,
    challenge: Challenge,
    spec: Any,
    note: str = "",
    forked_from: Run | None = None,
    ghost_run: Run | None = None,
    now: dt.datetime | None = None,
) -> Run:
    """Validate the spec, spend one of today's runs, write the run and enqueue its training.

    `ghost_run` (already checked by `selectors.ghosts.ghost_source_get`) is the run it races.
    """
    now = now or timezone.now()
    challenge_check_open(challenge, now)
    normalised, parameters = spec_check(challenge=challenge, spec=spec)
    with transaction.atomic():
        _lock_quota_day(user=user, challenge=challenge, day=utc_day(now))
        quota = quota_status(user=user, challenge=challenge, now=now)
        if quota.left <= 0:
            raise QuotaExceeded(quota)
        run = run_create(owner=user, challenge=challenge, spec=normalised, note=note, now=now,
                         parameter_count=parameters, forked_from=forked_from,
                         ghost_run=ghost_run)
        if forked_from is not None:
            forks_counted(forked_from)
    return run


def challenge_check_open(challenge: Challenge, now: dt.datetime) -> None:
    """Raise ChallengeNotOpen, saying why, unless the challenge takes submissions now."""
    if not challenge.accepts_submissions(now):
        raise ChallengeNotOpen(_why_not_open(challenge, now))


def _why_not_open(challenge: Challenge, now: dt.datetime) -> str:
    if challenge.status == Challenge.Status.DRAFT:
        return f"challenge '{challenge.slug}' is not published yet"
    if challenge.is_closed(now):
        return f"challenge '{challenge.slug}' is closed; its leaderboard is final"
    return f"challenge '{challenge.slug}' opens at {challenge.opens_at.isoformat()}"
