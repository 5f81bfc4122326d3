"""Store and publish what a run's live instruments measure: boundary frames, layer statistics.

The engine calls `InstrumentRecorder.on_boundary` / `on_layers` during training (through
`descent.engine.Instruments`); the run's `RunRecorder` writes what they buffered in the same
transaction as the epochs it flushes (at most ten times a second) and, once that commits,
publishes it. So the instruments add no transaction of their own while the run trains, and a
watcher never hears of a frame the database does not have.

Everything a run keeps is bounded, whatever its length:

- **Frames**: at most FRAMES_PER_FLUSH per flush (the newest among them; epoch 0's always),
  so ≤ 40 a second, and one message per flush (the newest frame), ≤ 10 a second; when a
  run has stored more than FRAMES_KEPT, every other one goes (never epoch 0's nor the latest)
  and later frames are stored only as far apart as the ones kept (like `Trajectory`'s
  doubling stride), so the frames kept stay evenly spread over the run; the run's last frame
  is always stored (`finish`). The stream still gets each flush's newest frame.
- **Layer statistics**: the samples of epoch 1 and of every `stride`-th epoch, with stride
  ⌈epochs / LAYER_POINTS⌉ from the spec, plus the run's last sample (`finish`): at most
  LAYER_POINTS + 2 per run.
- **Trajectory**: at most TRAJECTORY_SNAPSHOTS snapshots, float32, thinned (and float16 as a
  last resort) to fit TRAJECTORY_MAX_BYTES; written once, at the end (`finish`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import transaction

from challenges.models import Run, RunBoundaryFrame, RunHistoryChunk, RunStatus, RunTrajectory
from challenges.services.holder import with_db_retry
from challenges.services.live import publish_run_boundary, publish_run_layers

FRAMES_KEPT = 120
FRAMES_PER_FLUSH = 4
LAYER_POINTS = 500
TRAJECTORY_SNAPSHOTS = 64
TRAJECTORY_MAX_BYTES = 4 * 1024 * 1024


def layer_stride(epochs: int) -> int:
    """Return every how many epochs a run stores its layer statistics."""
    return max(1, math.ceil(max(epochs, 1) / LAYER_POINTS))


@dataclass
class InstrumentRecorder:
    """Buffer one attempt's frames and layer samples between its recorder's flushes."""

    run_id: int
    attempt: int
    epochs: int = 0
    boundary: bool = False
    first_frame: dict[str, Any] | None = None
    frame_buffer: list[dict[str, Any]] = field(default_factory=list)
    layer_buffer: list[dict[str, Any]] = field(default_factory=list)
    last_layer_sample: dict[str, Any] | None = None
    stored_layer_epoch: int = -1
    frame_epochs: list[int] = field(default_factory=list)
    min_gap: int = 0

    @property
    def stride(self) -> int:
        return layer_stride(self.epochs)

    def on_boundary(self, frame: dict[str, Any]) -> None:
        """Keep a frame for the next flush (epoch 0's apart: it is always stored)."""
        if frame["epoch"] == 0:
            self.first_frame = frame
        else:
            self.frame_buffer.append(frame)

    def on_layers(self, sample: dict[str, Any]) -> None:
        """Keep an epoch's layer statistics if the epoch falls on the stride."""
        self.last_layer_sample = sample
        epoch = sample["epoch"]
        if epoch == 1 or epoch % self.stride == 0:
            self.layer_buffer.append(sample)

    def take_layers(self) -> list[dict[str, Any]]:
        """Hand the buffered layer samples to the flush that stores them."""
        taken, self.layer_buffer = self.layer_buffer, []
        if taken:
            self.stored_layer_epoch = taken[-1]["epoch"]
        return taken

    def write_frames(self, *, final: bool = False) -> dict[str, Any] | None:
        """Store the buffered frames (inside the flush's transaction); return the newest.

        A frame is stored when it lies `min_gap` epochs past the last stored one (the newest
        always when `final`); the newest is returned either way, for the live stream.
        """
        buffered, first = self.frame_buffer, self.first_frame
        self.frame_buffer, self.first_frame = [], None
        latest = buffered[-1] if buffered else None
        # At most FRAMES_PER_FLUSH of the flush's frames, evenly picked, the newest always.
        if len(buffered) > FRAMES_PER_FLUSH:
            step = len(buffered) / FRAMES_PER_FLUSH
            buffered = [buffered[len(buffered) - 1 - round(k * step)]
                        for k in reversed(range(FRAMES_PER_FLUSH))]
        frames = [first] if first is not None else []
        last_epoch = self.frame_epochs[-1] if self.frame_epochs else None
        for frame in buffered:
            if (last_epoch is None or frame["epoch"] - last_epoch >= self.min_gap
                    or (final and frame is latest)):
                frames.append(frame)
                last_epoch = frame["epoch"]
        if frames:
            RunBoundaryFrame.objects.bulk_create([
                RunBoundaryFrame(run_id=self.run_id, attempt=self.attempt,
                                 epoch=frame["epoch"], frame=frame)
                for frame in frames
            ], ignore_conflicts=True)
            self.frame_epochs.extend(frame["epoch"] for frame in frames)
        if len(self.frame_epochs) > FRAMES_KEPT:
            # Every other frame goes, never the first (the initial weights) nor the latest;
            # from now on frames are stored as far apart as the ones kept.
            dropped = self.frame_epochs[1:-1:2]
            RunBoundaryFrame.objects.filter(run_id=self.run_id, attempt=self.attempt,
                                            epoch__in=dropped).delete()
            keep = set(self.frame_epochs) - set(dropped)
            self.frame_epochs = [epoch for epoch in self.frame_epochs if epoch in keep]
            spread = self.frame_epochs[-1] - self.frame_epochs[1]
            self.min_gap = max(1, spread // max(1, len(self.frame_epochs) - 2))
        return latest if latest is not None else first

    def publish(self, *, frame: dict[str, Any] | None, layers: list[dict[str, Any]]) -> None:
        """Tell the run's watchers what the flush just committed."""
        if frame is not None:
            publish_run_boundary(run_id=self.run_id, attempt=self.attempt, frame=frame)
        if layers:
            publish_run_layers(run_id=self.run_id, attempt=self.attempt, samples=layers)

    def finish(self, *, trajectory: Any = None, diverged: bool = False,
               records_pending: bool = False) -> bool:
        """Store what is left (the last layer sample, the last frame, the trajectory).

        Runs before the attempt's `run_finish`, so watchers see the last frame before the
        final status. With `records_pending` (epochs the final flush will still write) the
        samples not flushed yet wait for that flush, which stores them in its new chunk;
        otherwise they go into the last chunk now. Returns False (and writes nothing) if the
        run is no longer this attempt's.
        """
        # The run's very last sample, if the stride skipped it.
        last = self.last_layer_sample
        newest = self.layer_buffer[-1]["epoch"] if self.layer_buffer else self.stored_layer_epoch
        if last is not None and last["epoch"] > newest:
            self.layer_buffer.append(last)
        tail = [] if records_pending else self.take_layers()

        def store() -> tuple[bool, dict[str, Any] | None, bool]:
            # One transaction, retried whole through a short database outage (like the
            # flushes): a retry may store fewer frames, never half of what it meant to.
            with transaction.atomic():
                if not Run.objects.filter(pk=self.run_id, attempt=self.attempt,
                                          status=RunStatus.RUNNING).exists():
                    return False, None, False
                frame = self.write_frames(final=True)
                appended = bool(tail) and _append_layers(run_id=self.run_id,
                                                         attempt=self.attempt, samples=tail)
                if trajectory is not None and len(trajectory.epochs):
                    trajectory_save(run_id=self.run_id, attempt=self.attempt,
                                    epochs=trajectory.epochs, params=trajectory.params,
                                    diverged=diverged)
            return True, frame, appended

        ours, frame, appended = with_db_retry(store, what=f"run {self.run_id} instruments")
        if not ours:
            return False
        if tail and not appended:
            # No chunk yet (nothing flushed): the final flush stores them with its epochs.
            self.layer_buffer, tail = tail, []
        if tail:
            self.stored_layer_epoch = tail[-1]["epoch"]
        self.publish(frame=frame, layers=tail)
        return True


def _append_layers(*, run_id: int, attempt: int, samples: list[dict[str, Any]]) -> bool:
    """Add layer samples to the attempt's last history chunk; False if it has none yet."""
    chunk = (RunHistoryChunk.objects.filter(run_id=run_id, attempt=attempt)
             .order_by("-first_epoch").first())
    if chunk is None:
        return False
    chunk.layers = [*chunk.layers, *samples]
    chunk.save(update_fields=["layers"])
    return True


def trajectory_save(*, run_id: int, attempt: int, epochs: list[int], params: np.ndarray,
                    diverged: bool = False) -> RunTrajectory:
    """Store a trajectory compactly: ≤ TRAJECTORY_SNAPSHOTS rows, ≤ TRAJECTORY_MAX_BYTES."""
    params = np.asarray(params)
    epochs = list(epochs)
    rows = len(epochs)
    keep = min(rows, TRAJECTORY_SNAPSHOTS,
               max(3, TRAJECTORY_MAX_BYTES // max(1, params.shape[1] * 4)))
    if keep < rows:
        # Evenly spaced, first and last always: the path keeps its start and its end.
        index = np.unique(np.round(np.linspace(0, rows - 1, keep)).astype(int))
        params, epochs = params[index], [epochs[i] for i in index]
    dtype = np.float32 if params.size * 4 <= TRAJECTORY_MAX_BYTES else np.float16
    raw = np.ascontiguousarray(params, dtype=np.dtype(dtype).newbyteorder("<")).tobytes()
    trajectory, _ = RunTrajectory.objects.update_or_create(
        run_id=run_id,
        defaults={"attempt": attempt, "epochs": epochs, "dtype": np.dtype(dtype).name,
                  "n_parameters": int(params.shape[1]), "params": raw, "diverged": diverged},
    )
    return trajectory


def trajectory_array(trajectory: RunTrajectory) -> np.ndarray:
    """Return a stored trajectory's snapshots as float64, (len(epochs), n_parameters)."""
    dtype = np.dtype(trajectory.dtype).newbyteorder("<")
    flat = np.frombuffer(bytes(trajectory.params), dtype=dtype)
    return flat.reshape(len(trajectory.epochs), trajectory.n_parameters).astype(np.float64)


def frames_forget_other_attempts(*, run_id: int, attempt: int) -> None:
    """Drop the frames an abandoned attempt left (only the finishing attempt's are kept)."""
    RunBoundaryFrame.objects.filter(run_id=run_id).exclude(attempt=attempt).delete()
