"""The live instruments `train` can run alongside training, each within a measured budget.

`Instruments` says which to run; everything is off by default, and with everything off the
loop does exactly what it did without them. None of them draws random numbers or touches the
parameters, so a run's history is bit for bit the same with or without them.

- **Boundary frames** (`on_boundary`, 2-input models only): a `boundary.boundary_frame` of the
  initial weights (epoch 0), after epoch 1, after the last epoch, and every k epochs between.
  All live instruments together aim at `share` (7 %) of the training time; frames get what
  the layer statistics and the trajectory leave of it (their time is measured too), so
  k = ⌈frame cost / (frames' share × epoch cost)⌉, re-measured after every frame
  (`time.perf_counter`; the mean of the last five frames over the mean epoch). A frame is
  also held back while the frames so far plus one more would exceed the frames' share of the
  training time so far, so slow frames on a busy machine are paid back, and the instruments
  stay within their share whatever the network, the data or the machine's load. Epoch 0's
  frame is left out of the accounting: it pays for warming buffers up (the bench counts it,
  and the 3 % between 7 % and the 10 % goal is for it, the last epoch's frame and the caches
  the frames evict).
  `boundary_every=k` fixes the interval instead (epochs 0, 1, every k-th, the last).
- **Layer statistics** (`on_layers`): `layer_stats.LayerSampler` on the first step of
  every epoch, passed as `{"epoch", "layers": [...]}`. Without `on_layers` the loop still
  samples epochs 1–5 and every 10th, for the diagnosis (`TrainResult.layer_stats`).
- **Trajectory** (`trajectory_snapshots=m`): a `trajectory.Trajectory` of at most m
  snapshots of the weights, in `TrainResult.trajectory`, for `landscape.project_path`.
"""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from descent.engine.boundary import (
    DEFAULT_MARGIN,
    DEFAULT_SIZE,
    Bounds,
    boundary_frame,
    grid_bounds,
    grid_points,
)
from descent.engine.model import Model
from descent.engine.trajectory import Trajectory

# The share of training time the live instruments together aim at. The goal is 10 % of the
# run; the rest is for what their own clocks miss: epoch 0's frame and the last epoch's, which
# come whatever the budget, and the caches a frame's larger products evict (measured: a run
# with every instrument on takes 2-4 % longer than this share says).
DEFAULT_SHARE = 0.07
# Frames always get at least this part of `share`, however dear the other instruments are.
MIN_FRAME_PART = 0.25


@dataclass
class Instruments:
    """Which instruments `train` runs, and their settings.

    - `on_boundary(frame)`: called with each boundary frame (JSON-ready dict).
    - `boundary_size`: n of the n×n grid; `boundary_bounds`: the plane, default
      `grid_bounds(X_train, boundary_margin)`.
    - `boundary_every`: a fixed interval in epochs; None chooses it from measured cost so
      the live instruments together stay within `share` of the training time.
    - `on_layers(sample)`: called every epoch with `{"epoch", "layers": [LayerStats, ...]}`.
    - `trajectory_snapshots`: keep at most this many weight snapshots (0: none).
    """

    on_boundary: Callable[[dict[str, Any]], object] | None = None
    boundary_size: int = DEFAULT_SIZE
    boundary_bounds: Bounds | None = None
    boundary_margin: float = DEFAULT_MARGIN
    boundary_every: int | None = None
    share: float = DEFAULT_SHARE
    on_layers: Callable[[dict[str, Any]], object] | None = None
    trajectory_snapshots: int = 0


class LiveInstruments:
    """The instruments of one run: their state, their schedule and the time they took."""

    def __init__(self, settings: Instruments, model: Model, data: Any) -> None:
        self.settings = settings
        self.task = data.task
        self.seconds = {"boundary": 0.0, "layers": 0.0, "trajectory": 0.0, "training": 0.0}
        self.epochs = 0
        self.frames = 0
        self.frame_interval = settings.boundary_every or 1
        self.last_frame_epoch = 0
        # Costs of the frames after epoch 0's (which pays for warming the buffers up).
        self.frame_costs: list[float] = []
        # Layer sampling happens inside the epoch; it is taken out of the epoch's time.
        self._layer_seconds_this_epoch = 0.0
        self.bounds: Bounds | None = None
        self.value_range: tuple[float, float] | None = None
        self.points: np.ndarray | None = None
        if settings.on_boundary is not None:
            self._check_boundary(settings, data)
            self.bounds = settings.boundary_bounds or grid_bounds(
                data.X_train, settings.boundary_margin
            )
            # The plane is fixed for the run: its points are made once, in the model's dtype.
            self.points = grid_points(self.bounds, settings.boundary_size).astype(model.dtype)
            if data.task == "regression":
                targets = np.asarray(data.y_train, dtype=np.float64)
                self.value_range = (float(targets.min()), float(targets.max()))
            self._frame(0, model)
        self.trajectory = (
            Trajectory(settings.trajectory_snapshots, model.n_parameters, model.dtype)
            if settings.trajectory_snapshots
            else None
        )
        if self.trajectory is not None:
            self.trajectory.add(0, model.params)

    @property
    def samples_every_epoch(self) -> bool:
        """Return whether layer statistics are wanted after every epoch."""
        return self.settings.on_layers is not None

    def after_epoch(
        self,
        epoch: int,
        model: Model,
        training_seconds: float,
        layers: dict[str, Any] | None,
        final: bool,
    ) -> None:
        """Run the instruments due after a finished, finite `epoch`.

        `training_seconds` is what the epoch took (its steps and its validation pass);
        `layers` is the epoch's layer sample, if one was taken; `final` marks the last epoch.
        """
        seconds = self.seconds
        seconds["training"] += training_seconds - self._layer_seconds_this_epoch
        self._layer_seconds_this_epoch = 0.0
        self.epochs += 1
        started = time.perf_counter()
        if layers is not None and self.settings.on_layers is not None:
            self.settings.on_layers(layers)
            now = time.perf_counter()
            seconds["layers"] += now - started
            started = now
        if self.trajectory is not None:
            self.trajectory.add(epoch, model.params)
            seconds["trajectory"] += time.perf_counter() - started
        if self.settings.on_boundary is not None and self._frame_due(epoch, final):
            self.frame_costs.append(self._frame(epoch, model))
            if self.settings.boundary_every is None:
                self.frame_interval = self._interval()

    def add_layer_seconds(self, seconds: float) -> None:
        """Count time spent sampling layer statistics inside the epoch."""
        self.seconds["layers"] += seconds
        self._layer_seconds_this_epoch += seconds

    def blew_up(self, epoch: int, model: Model, layers: dict[str, Any] | None) -> None:
        """Record what is still finite of the epoch the run blew up in.

        The layer sample of its first step, if taken, and, if they are finite, the weights that
        made the loss overflow as the trajectory's last snapshot.
        """
        if layers is not None and self.settings.on_layers is not None:
            self.settings.on_layers(layers)
        if self.trajectory is not None and np.isfinite(model.params).all():
            self.trajectory.add_last(epoch, model.params)

    def finish(self) -> None:
        """Close the trajectory on the last finite epoch."""
        if self.trajectory is not None:
            self.trajectory.finish()

    def report(self) -> dict[str, Any]:
        """Return the seconds each instrument took, the training time, and the frames drawn."""
        return {
            **{name: round(value, 6) for name, value in self.seconds.items()},
            "boundary_frames": self.frames,
            "boundary_interval": self.frame_interval if self.settings.on_boundary else None,
        }

    def _frame(self, epoch: int, model: Model) -> float:
        """Draw and pass on the frame after `epoch`; return what it cost in seconds."""
        started = time.perf_counter()
        frame = boundary_frame(
            model,
            self.bounds,
            self.settings.boundary_size,
            task=self.task,
            epoch=epoch,
            value_range=self.value_range,
            points=self.points,
        )
        self.settings.on_boundary(frame)
        cost = time.perf_counter() - started
        self.seconds["boundary"] += cost
        self.frames += 1
        self.last_frame_epoch = epoch
        return cost

    def _frame_due(self, epoch: int, final: bool) -> bool:
        """Return whether a frame is due after `epoch`.

        A fixed interval k: every k-th epoch. A chosen one: k epochs after the last frame, and
        only while the frames so far plus one more (at the recent mean) fit in the share of
        the training time so far, so slow frames on a busy machine are paid back first.
        """
        if epoch == 1 or final:
            return True
        if self.settings.boundary_every is not None:
            return epoch % self.settings.boundary_every == 0
        if epoch - self.last_frame_epoch < self.frame_interval:
            return False
        spent = sum(self.frame_costs) + self._recent_frame_cost()
        return spent <= self._frame_share() * self.seconds["training"]

    def _recent_frame_cost(self) -> float:
        """Return the mean cost of the last five frames after epoch 0's, in seconds."""
        recent = self.frame_costs[-5:]
        return sum(recent) / len(recent) if recent else 0.0

    def _interval(self) -> int:
        """Return k = ⌈frame cost / (share × epoch cost)⌉, the epochs between frames."""
        epoch_cost = self.seconds["training"] / max(self.epochs, 1)
        if epoch_cost <= 0:
            return 1
        return max(1, math.ceil(self._recent_frame_cost() / (self._frame_share() * epoch_cost)))

    def _frame_share(self) -> float:
        """Return the share of training time left for frames by the other live instruments."""
        training = self.seconds["training"]
        others = self.seconds["layers"] + self.seconds["trajectory"]
        share = self.settings.share
        left = share - others / training if training > 0 else share
        return max(left, MIN_FRAME_PART * share)

    @staticmethod
    def _check_boundary(settings: Instruments, data: Any) -> None:
        """Raise ValueError for boundary settings that cannot work."""
        if data.n_inputs != 2:
            raise ValueError(
                f"boundary frames need a model with 2 inputs; the data has {data.n_inputs}"
            )
        every = settings.boundary_every
        if every is not None and not (isinstance(every, int) and every >= 1):
            raise ValueError(f"Invalid boundary_every: {every!r}; use an int ≥ 1 or None")
        if not 0 < settings.share <= 1:
            raise ValueError(f"Invalid share: {settings.share}; use a number in (0, 1]")
