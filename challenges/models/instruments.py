"""What a run's instruments leave behind: boundary frames, its weight path, its terrain.

Per-layer statistics ride in the history chunks (`RunHistoryChunk.layers`), written in the
same transaction as the epochs they belong to. Frames and the trajectory carry the attempt
that wrote them, like history chunks: only the attempt that holds the run counts.
"""

from __future__ import annotations

from django.db import models


class RunBoundaryFrame(models.Model):
    """One decision-boundary frame of one attempt (descent.engine.boundary_frame's dict)."""

    run = models.ForeignKey("challenges.Run", on_delete=models.CASCADE,
                            related_name="boundary_frames")
    attempt = models.PositiveIntegerField()
    epoch = models.PositiveIntegerField()
    frame = models.JSONField()

    class Meta:
        ordering = ["run", "attempt", "epoch"]
        constraints = [
            models.UniqueConstraint(fields=["run", "attempt", "epoch"],
                                    name="unique_boundary_frame"),
        ]

    def __str__(self) -> str:
        return f"run {self.run_id} attempt {self.attempt} frame at epoch {self.epoch}"


class RunTrajectory(models.Model):
    """A finished attempt's weights at evenly spaced epochs, for its path on the terrain.

    `params` is the raw little-endian bytes of an (len(epochs), n_parameters) array of
    `dtype` (float32, or float16 when float32 would not fit the byte cap).
    """

    run = models.OneToOneField("challenges.Run", on_delete=models.CASCADE,
                               related_name="trajectory")
    attempt = models.PositiveIntegerField()
    epochs = models.JSONField()
    dtype = models.CharField(max_length=10)
    n_parameters = models.PositiveIntegerField()
    params = models.BinaryField()
    diverged = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"trajectory of run {self.run_id} ({len(self.epochs)} snapshots)"


class TerrainStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class RunTerrain(models.Model):
    """A loss-surface slice with paths on it: one run's (`run`) or a lab's three (`lab_group`).

    `surface` is `descent.engine.Surface.to_dict()` plus `runs` (the run id of each path)
    and `diverged` (a flag per path).
    """

    run = models.OneToOneField("challenges.Run", null=True, blank=True,
                               on_delete=models.CASCADE, related_name="terrain")
    lab_group = models.UUIDField(null=True, blank=True, unique=True)
    status = models.CharField(max_length=10, choices=TerrainStatus.choices,
                              default=TerrainStatus.PENDING)
    surface = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    seconds = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(run__isnull=False, lab_group__isnull=True)
                | models.Q(run__isnull=True, lab_group__isnull=False),
                name="terrain_of_a_run_or_a_lab",
            ),
        ]

    def __str__(self) -> str:
        owner = f"run {self.run_id}" if self.run_id else f"lab {self.lab_group}"
        return f"terrain of {owner} ({self.status})"
