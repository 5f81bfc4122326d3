"""The learning-rate lab: one spec trained at learning rate ÷10, ×1 and ×10, side by side.

Lab runs are experiments: unranked (leaderboards skip ranked=False), outside the daily quota
(counts_toward_quota=False) and never clear a blueprint node. A builder may have at most
`MAX_RUNNING_LABS` labs still queued or running; the API also throttles (scope "lab").
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from challenges.errors import LabBusy, SubmissionRejected
from challenges.models import Challenge, Run, RunStatus
from challenges.services.runs import run_create
from challenges.services.submissions import challenge_check_open, spec_check

LAB_FACTORS = (0.1, 1.0, 10.0)
LAB_LABELS = {0.1: "÷10", 1.0: "×1", 10.0: "×10"}
MAX_RUNNING_LABS = 2


def lab_variants(spec: Any) -> list[tuple[float, Any]]:
    """Return the spec at each lab factor of its learning rate: [(factor, spec), ...].

    The spec is returned unchanged when it has no numeric learning rate; `spec_check` then
    says what is missing.
    """
    variants = []
    for factor in LAB_FACTORS:
        variant = copy.deepcopy(spec)
        optimizer = variant.get("optimizer") if isinstance(variant, dict) else None
        rate = optimizer.get("learning_rate") if isinstance(optimizer, dict) else None
        if isinstance(rate, int | float) and not isinstance(rate, bool):
            # Round away float noise: 0.05 × 10 is 0.5, not 0.5000000000000001.
            optimizer["learning_rate"] = float(f"{rate * factor:.12g}")
        variants.append((factor, variant))
    return variants


def running_lab_groups(*, user: Any) -> int:
    """Count the builder's labs with a run still queued or running."""
    return (Run.objects.filter(owner=user, lab_group__isnull=False,
                               status__in=[RunStatus.QUEUED, RunStatus.RUNNING])
            .values("lab_group").distinct().count())


def lab_submit(*, user: Any, challenge: Challenge, spec: Any) -> list[Run]:
    """Validate the three variants, write three unranked runs in one lab group, enqueue them.

    Raises `ChallengeNotOpen`, `SubmissionRejected` (errors of the first variant that fails,
    prefixed with its factor when the others pass) or `LabBusy`.
    """
    now = timezone.now()
    challenge_check_open(challenge, now)
    checked = []
    for factor, variant in lab_variants(spec):
        try:
            checked.append((factor, *spec_check(challenge=challenge, spec=variant)))
        except SubmissionRejected as exc:
            if factor == 1.0 or not checked:
                raise
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
