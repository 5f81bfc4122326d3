"""A run's verification: a second worker re-trained it and compared the histories."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class VerificationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    REPRODUCED = "reproduced", "Reproduced"
    MISMATCH = "mismatch", "Mismatch"
    # The re-training itself could not finish (a time limit, a lost worker, a bug): no verdict
    # on the run, which is not accused of anything; staff can ask again.
    ERROR = "error", "Could not check"


class RunVerification(models.Model):
    """The latest check of one run: asked for, then reproduced or not, with the figures.

    One row per run (asking again resets it to pending). `detail` holds what explains the
    verdict: the largest and first differences (epoch, field, recorded and re-trained value,
    absolute and relative size), the tolerance, both sides' engine, numpy, BLAS, dataset hash
    and worker, and how independent the second worker was.
    """

    run = models.OneToOneField("challenges.Run", on_delete=models.CASCADE,
                               related_name="verification")
    status = models.CharField(max_length=10, choices=VerificationStatus.choices,
                              default=VerificationStatus.PENDING)
    trigger = models.CharField(max_length=20, default="staff",
                               help_text="why it was asked: 'closed' (the challenge closed) or "
                                         "'staff'")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField()
    checked_at = models.DateTimeField(null=True, blank=True)
    verifier_node = models.CharField(max_length=200, blank=True, default="")
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "requested_at"])]

    def __str__(self) -> str:
        return f"run {self.run_id}: {self.status}"

    def as_dict(self) -> dict[str, Any]:
        """The shape the API, the pages and the live leaderboard show."""
        return {"status": self.status,
                "checked_at": self.checked_at.isoformat() if self.checked_at else None,
                "detail": self.detail or {}}
