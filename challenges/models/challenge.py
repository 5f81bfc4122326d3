"""A challenge: a dataset, a task, a metric, budgets, a hidden test split and a threshold."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from descent.engine.metrics import METRICS

# The metrics a challenge can rank by, and which way is better: read from the engine's one
# table (`descent.engine.metrics.METRICS`), which computes them.
METRIC_DIRECTIONS = {
    name: "max" if metric.higher_is_better else "min" for name, metric in METRICS.items()
}


class Challenge(models.Model):
    """What builders compete on. Curated by staff in the admin."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        CLOSED = "closed", "Closed"

    class Task(models.TextChoices):
        REGRESSION = "regression", "Regression"
        BINARY = "binary", "Binary classification"
        MULTICLASS = "multiclass", "Multiclass classification"

    class Direction(models.TextChoices):
        MAXIMIZE = "max", "Higher is better"
        MINIMIZE = "min", "Lower is better"

    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    lesson = models.TextField(blank=True, default="", help_text="Markdown.")
    dataset = models.CharField(max_length=64, help_text="A descent.engine load_dataset name.")
    dataset_params = models.JSONField(default=dict, blank=True)
    dataset_seed = models.PositiveIntegerField(default=0)
    task = models.CharField(max_length=16, choices=Task.choices, editable=False)
    metric = models.CharField(max_length=16, choices=[(m, m) for m in METRIC_DIRECTIONS])
    metric_direction = models.CharField(max_length=3, choices=Direction.choices, editable=False)
    max_parameters = models.PositiveIntegerField(default=100_000)
    max_epochs = models.PositiveIntegerField(default=1000)
    max_work = models.BigIntegerField(
        default=50_000_000_000, help_text="Estimated multiply-adds over the whole run."
    )
    time_limit_seconds = models.PositiveIntegerField(default=300)
    unlock_threshold = models.FloatField(
        null=True, blank=True, help_text="Hidden-test metric a run must reach to clear the node."
    )
    daily_quota = models.PositiveIntegerField(default=10, help_text="Runs per builder per UTC day.")
    opens_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    starter_spec = models.JSONField(default=dict, blank=True)
    # Set once the close asked for its top entries to be verified (services/verification.py).
    verification_requested_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Bumped in every transaction that changes what its leaderboard shows (a kept entry, a
    # verification): cached leaderboard pages are keyed by it, so none outlives a change.
    board_version = models.PositiveBigIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def higher_is_better(self) -> bool:
        return self.metric_direction == self.Direction.MAXIMIZE

    @property
    def ranked_by(self) -> str:
        """Name the score that ranks: validation while open, the hidden test after close."""
        return "test_score" if self.is_closed() else "val_score"

    def is_closed(self, now=None) -> bool:
        """Tell whether it is over: closed by staff, or past its closing time."""
        now = now or timezone.now()
        return self.status == self.Status.CLOSED or (
            self.closes_at is not None and self.closes_at <= now
        )

    def accepts_submissions(self, now=None) -> bool:
        """Tell whether it is published, opened and not yet closed."""
        now = now or timezone.now()
        opened = self.opens_at is None or self.opens_at <= now
        return self.status == self.Status.PUBLISHED and opened and not self.is_closed(now)
