"""The learning-rate lab: one spec trained at learning rate ÷10, ×1 and ×10, side by side.

Lab runs are experiments: unranked (leaderboards skip ranked=False), outside the daily quota
(counts_toward_quota=False) and never clear a blueprint node. A builder may have at most
`MAX_RUNNING_LABS` labs still queued or running; the API also throttles (scope "lab").
"""

from __future__ import annotations

import copy
import math
import sys
import uuid
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from challenges.errors import LabBusy, SubmissionRejected
from challenges.models import Challenge, Run, RunStatus
from challenges.selectors.lab import LAB_FACTORS, LAB_LABELS
from challenges.services.runs import run_create
from challenges.services.submissions import challenge_check_open, spec_check

MAX_RUNNING_LABS = 2


def lab_variants(normalised: dict[str, Any]) -> list[tuple[float, dict[str, Any]]]:
    """Return a validated spec at each lab factor of its learning rate: [(factor, spec), ...].

    Called with `spec_check`'s output, never with raw input: the rate is a checked finite
    float, so multiplying it cannot raise. A product that is no longer a finite positive number
    (10 × 1e308, 1e-324 ÷ 10) is a `SubmissionRejected` on `optimizer.learning_rate`.
    """
    rate = normalised["optimizer"]["learning_rate"]
    variants = []
    for factor in LAB_FACTORS:
        variant = copy.deepcopy(normalised)
        # Round away float noise: 0.05 × 10 is 0.5, not 0.5000000000000001.
        scaled = float(f"{rate * factor:.12g}")
        if not (math.isfinite(scaled) and scaled > 0):
            limit = (f"below {sys.float_info.max / 10:.3g}" if factor > 1
                     else f"above {sys.float_info.min * 10:.3g}")
            raise SubmissionRejected({"optimizer.learning_rate": [
                f"the lab trains this spec at {LAB_LABELS[factor]} its learning rate, and "
                f"{rate:g} {LAB_LABELS[factor]} is not a usable rate; use a learning rate "
                f"{limit}"]})
        variant["optimizer"]["learning_rate"] = scaled
        variants.append((factor, variant))
    return variants


def running_lab_groups(*, user: Any) -> int:
    """Count the builder's labs with a run still queued or running."""
    return (Run.objects.filter(owner=user, lab_group__isnull=False,
                               status__in=[RunStatus.QUEUED, RunStatus.RUNNING])
            .values("lab_group").distinct().count())


def lab_submit(*, user: Any, challenge: Challenge, spec: Any) -> list[Run]:
    """Validate the three variants, write three unranked runs in one lab group, enqueue them.

    Raises `ChallengeNotOpen`, `SubmissionRejected` (the spec's own errors; or those of the
    first variant that fails, prefixed with its factor) or `LabBusy`.
    """
    now = timezone.now()
    challenge_check_open(challenge, now)
    # The spec as sent is checked first; only then is its (finite) rate multiplied.
    normalised, parameters = spec_check(challenge=challenge, spec=spec)
    checked = []
    for factor, variant in lab_variants(normalised):
        if factor == 1.0:
            checked.append((factor, normalised, parameters))
            continue
        try:
            checked.append((factor, *spec_check(challenge=challenge, spec=variant)))
        except SubmissionRejected as exc:
            raise SubmissionRejected({
                f"lab {LAB_LABELS[factor]}.{path}": messages
                for path, messages in exc.errors.items()
            }) from exc
    group = uuid.uuid4()
    with transaction.atomic():
        # Serialise one builder's lab requests (SQLite: the write lock; PostgreSQL: the row).
        get_user_model().objects.select_for_update().filter(pk=user.pk).exists()
        if running_lab_groups(user=user) >= MAX_RUNNING_LABS:
            raise LabBusy(f"you have {MAX_RUNNING_LABS} labs still training; wait for one to "
                          "finish (or cancel its runs) before starting another")
        return [
            run_create(
                owner=user, challenge=challenge, spec=normalised, now=now,
                note=f"lab: learning rate {LAB_LABELS[factor]} "
                     f"({normalised['optimizer']['learning_rate']:g})",
                parameter_count=parameters, ranked=False, counts_toward_quota=False,
                lab_group=group,
            )
            for factor, normalised, parameters in checked
        ]
