"""The kept leaderboard: each builder's best ranking run per challenge and score.

Written only by `challenges.services.best_entries`, in the transaction that changes a run's
standing (its finish, a disqualification, a staff ranking change); read by
`challenges.selectors.leaderboards`. `manage.py leaderboard_check` recomputes it from the runs
and proves it equal.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class RankBasis(models.TextChoices):
    """The score a board ranks by: validation while open, the hidden test after the close."""

    VAL_SCORE = "val_score", "Validation score"
    TEST_SCORE = "test_score", "Test score"


class BestEntry(models.Model):
    """One builder's best run on one challenge by one score: one row of the kept board.

    Both bases are kept from the start, so the close switches boards without a rebuild.
    `sort_key` is the score turned so that smaller is better (−score when higher is better):
    every board, whatever its metric's direction, is then one ascending index scan of
    (`sort_key`, `parameter_count`, `submitted_at`, `run`) — the ranking rule's order.
    """

    challenge = models.ForeignKey("challenges.Challenge", on_delete=models.CASCADE,
                                  related_name="best_entries")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="best_entries")
    basis = models.CharField(max_length=10, choices=RankBasis.choices)
    run = models.ForeignKey("challenges.Run", on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    sort_key = models.FloatField()
    parameter_count = models.PositiveIntegerField()
    submitted_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["challenge", "basis", "owner"],
                                    name="unique_best_entry"),
        ]
        indexes = [
            models.Index(fields=["challenge", "basis", "sort_key", "parameter_count",
                                 "submitted_at", "run"], name="best_entry_rank"),
        ]

    def __str__(self) -> str:
        return f"{self.owner_id} on {self.challenge_id} by {self.basis}: run {self.run_id}"
