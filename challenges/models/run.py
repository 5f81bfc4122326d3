"""A run: one submitted spec trained by a worker, its history and its scores."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    DIVERGED = "diverged", "Diverged"
    FAILED = "failed", "Failed"
    TIMED_OUT = "timed_out", "Timed out"
    CANCELLED = "cancelled", "Cancelled"


FINAL_STATUSES = frozenset(
    {RunStatus.SUCCEEDED, RunStatus.DIVERGED, RunStatus.FAILED, RunStatus.TIMED_OUT,
     RunStatus.CANCELLED}
)
# Only runs that trained to an end the builder caused spend quota; the rest are refunded.
QUOTA_STATUSES = frozenset({RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.SUCCEEDED,
                            RunStatus.DIVERGED})


class Run(models.Model):
    """One spec trained on one challenge. Statuses only move forward (see services.runs)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="runs")
    challenge = models.ForeignKey("challenges.Challenge", on_delete=models.CASCADE,
                                  related_name="runs")
    spec = models.JSONField(help_text="The normalised spec (descent.engine.parse_spec).")
    spec_hash = models.CharField(max_length=64, db_index=True)
    note = models.CharField(max_length=500, blank=True, default="")
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    ranked = models.BooleanField(default=True, help_text="Lab runs are not ranked.")
    counts_toward_quota = models.BooleanField(default=True)
    quota_day = models.DateField(help_text="The UTC day whose quota this run spends.")
    shared = models.BooleanField(default=False, help_text="Spec visible to everyone.")
    forked_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="forks")
    lab_group = models.UUIDField(null=True, blank=True, db_index=True)

    attempt = models.PositiveIntegerField(default=0)
    # Queued but held back: its builder already has MAX_RUNS_IN_FLIGHT_PER_USER runs in
    # flight (services/fair_share.py sends its task when one of them ends).
    waiting = models.BooleanField(default=False)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    cancel_requested = models.BooleanField(default=False)
    worker_host = models.CharField(max_length=200, blank=True, default="")
    # "hostname:pid" of the process training the current attempt: a redelivered task on the
    # same host takes the run over at once when that process is gone (services/runs.py).
    worker_process = models.CharField(max_length=200, blank=True, default="")
    engine_version = models.CharField(max_length=20, blank=True, default="")
    # What else decides the numbers, recorded by the worker for verification (issue 15): the
    # Celery node that trained it, the data set's arrays, and the arithmetic underneath.
    worker_node = models.CharField(max_length=200, blank=True, default="")
    dataset_hash = models.CharField(max_length=64, blank=True, default="")
    numpy_version = models.CharField(max_length=32, blank=True, default="")
    blas = models.CharField(max_length=100, blank=True, default="")
    # A ghost race: the run whose recorded history this one races, epoch by epoch.
    ghost_run = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="ghost_races")

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    parameter_count = models.PositiveIntegerField(default=0)
    # The budget's estimate of the multiply-adds to train it (engine.budget.macs_total): which
    # Celery queue it goes to (services/queue.py).
    estimated_work = models.BigIntegerField(default=0)
    epochs_done = models.PositiveIntegerField(default=0)
    train_loss = models.FloatField(null=True, blank=True)
    val_loss = models.FloatField(null=True, blank=True)
    val_score = models.FloatField(null=True, blank=True)
    test_score = models.FloatField(null=True, blank=True)
    diagnoses = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True, default="")
    disqualified_reason = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["challenge", "status"]),
            models.Index(fields=["owner", "challenge", "quota_day"]),
            models.Index(fields=["status", "heartbeat_at"]),
            # A builder's runs, newest first: on a challenge (its page, the runs API) and
            # everywhere (the profile).
            models.Index(fields=["owner", "challenge", "-created_at"],
                         name="run_owner_challenge_newest"),
            models.Index(fields=["owner", "-created_at"], name="run_owner_newest"),
            models.Index(fields=["owner", "status", "waiting"], name="run_owner_in_flight"),
        ]

    def __str__(self) -> str:
        return f"run {self.pk} ({self.status})"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def score(self) -> float | None:
        """The score that ranks it now (`Challenge.ranked_by`)."""
        return getattr(self, self.challenge.ranked_by)

    @property
    def disqualified(self) -> bool:
        return bool(self.disqualified_reason)


class RunHistoryChunk(models.Model):
    """A slice of one attempt's per-epoch history: a JSON list of epoch records.

    A worker writes one row per flush (every ~100 epochs or ~1 s), not one per epoch, so a
    10,000-epoch run costs ~100 small inserts and a page reads it back in ~100 rows.
    """

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="history_chunks")
    attempt = models.PositiveIntegerField()
    first_epoch = models.PositiveIntegerField()
    records = models.JSONField()
    # The layer statistics sampled in these epochs (`{"epoch", "layers": [...]}`, on a stride
    # that keeps a run's total bounded; see services/instruments.py).
    layers = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["run", "attempt", "first_epoch"]
        constraints = [
            models.UniqueConstraint(fields=["run", "attempt", "first_epoch"],
                                    name="unique_history_chunk"),
        ]

    def __str__(self) -> str:
        return f"run {self.run_id} attempt {self.attempt} from epoch {self.first_epoch}"


class QuotaDay(models.Model):
    """The row locked while a builder's submissions for one challenge and UTC day are counted.

    Locking it (SELECT ... FOR UPDATE on PostgreSQL; SQLite's IMMEDIATE transactions serialise
    writers) makes "count then insert" atomic under concurrent requests.
    """

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    challenge = models.ForeignKey("challenges.Challenge", on_delete=models.CASCADE)
    day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "challenge", "day"], name="unique_quota_day"),
        ]

    def __str__(self) -> str:
        return f"{self.owner_id} on {self.challenge_id}, {self.day}"
