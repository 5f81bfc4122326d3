"""`train`: run a normalised spec on a dataset, epoch by epoch, and report what happened.

The loop is written for small networks, where Python overhead per batch costs more than the
arithmetic: batches are gathered by index into one reused buffer, the forward and backward
passes write into per-layer buffers, and the optimizer updates one flat parameter buffer.
Numpy's float errors are silenced and caught as non-finite values instead: a run that blows
up ends with status "diverged", never with an exception, and keeps its finite numbers up to
the blow-up (`TrainResult.blew_up_at`) so that a page can draw the loss exploding.

The instruments (`instruments.Instruments`: boundary frames, per-layer statistics, the weight
trajectory) hook in after each epoch and on the first step of an epoch; they read the model and
never draw random numbers, so a run's history does not depend on them.
"""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from descent.engine import diagnosis
from descent.engine.diagnosis import Diagnosis
from descent.engine.instruments import Instruments, LiveInstruments
from descent.engine.layer_stats import LayerSampler
from descent.engine.metrics import METRICS, default_metric
from descent.engine.model import Model, build_model
from descent.engine.optimizers import make_optimizer
from descent.engine.schedules import learning_rate_at
from descent.engine.serialise import finite_or_none
from descent.engine.trajectory import Trajectory

# Per-layer statistics are sampled on the first batch of these epochs (for diagnosis), and
# of every epoch when the caller asks for them live.
SAMPLED_EPOCHS_START = 5
SAMPLED_EPOCHS_EVERY = 10
# PyTorch's clip_grad_norm_ guard against a zero norm.
CLIP_EPS = 1e-6


@dataclass
class TrainResult:
    """The outcome of `train`: status, per-epoch history, findings and the trained model.

    - `blew_up_at`: for a diverged run, where it blew up (see `train`), else None.
    - `layer_stats`: the sampled `{"epoch", "layers": [LayerStats, ...]}`, oldest first.
    - `trajectory`: the weight snapshots, when `Instruments.trajectory_snapshots` asked.
    - `instrument_seconds`: what each instrument took, the training time, the frame count
      (empty without instruments).
    """

    status: str  # "succeeded", "diverged" or "cancelled"
    history: list[dict[str, Any]]
    model: Model
    diagnoses: list[Diagnosis] = field(default_factory=list)
    message: str = ""
    stopped_early: bool = False
    best_epoch: int | None = None
    blew_up_at: dict[str, Any] | None = None
    layer_stats: list[dict[str, Any]] = field(default_factory=list)
    trajectory: Trajectory | None = None
    instrument_seconds: dict[str, Any] = field(default_factory=dict)


def train(
    spec: dict[str, Any],
    data: Any,
    on_epoch: Callable[[dict[str, Any]], bool | None] | None = None,
    *,
    metric: str | None = None,
    instruments: Instruments | None = None,
) -> TrainResult:
    """Train the network `spec` describes on `data` (a `Dataset`) and return the result.

    `on_epoch(record)` is called after each epoch; returning `False` cancels the run.
    `instruments` adds boundary frames, per-layer statistics and the weight trajectory.

    A run that diverges keeps a last record for the epoch it blew up in, with the mean of
    that epoch's finite batch losses as `train_loss` (None if the first batch blew up),
    `val_loss` None unless it was measured finite, the metric None; `on_epoch` sees it too.
    `blew_up_at` is `{"epoch", "batch" (1-based, or None when the loss was finite but the
    validation loss or the weights were not), "batches" (per epoch), "detected_in"
    ("training", "validation" or "weights"), "last_finite_loss" (the last finite batch
    loss of the run, or None), "batch_losses" (that epoch's finite batch losses in order)}`.
    """
    with np.errstate(all="ignore"):
        return _Trainer(spec, data, metric, instruments).run(on_epoch)


def training_generator(seed: int) -> np.random.Generator:
    """Return the generator that shuffles batches and draws dropout masks for `seed`.

    A separate stream from the one that drew the initial weights.
    """
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1,)))


def regularise_gradients(
    model: Model, l2: float, clip: float | None, scratch: np.ndarray | None
) -> float | None:
    """Add the L2 term to `model.grads`, then clip their global norm; return that norm.

    `scratch` is (n_weights,) when `l2` is set. The norm (after the L2 term, before clipping)
    is returned only when `clip` is set, else None.
    """
    if l2:
        model.add_penalty_gradient(l2, scratch)
    if clip is None:
        return None
    grads = model.grads
    norm = math.sqrt(float(np.vdot(grads, grads)))
    if norm > clip:
        grads *= clip / (norm + CLIP_EPS)
    return norm


class _Trainer:
    """The state of one training run; `run` is the loop."""

    def __init__(
        self, spec: dict[str, Any], data: Any, metric: str | None,
        instruments: Instruments | None,
    ) -> None:
        self.spec = spec
        self.model = model = build_model(spec, data.n_inputs, seed=spec["seed"])
        dtype = model.dtype
        self.task = data.task
        self.metric = metric or default_metric(data.task)
        if self.metric not in METRICS:
            raise ValueError(f"Unknown metric: {self.metric!r}; expected one of {sorted(METRICS)}")
        self.X = np.ascontiguousarray(data.X_train, dtype=dtype)
        self.y = model.prepare_targets(data.y_train)
        self.X_val = np.ascontiguousarray(data.X_val, dtype=dtype)
        self.y_val = np.asarray(data.y_val)
        self.y_val_targets = model.prepare_targets(data.y_val)
        self.rng = training_generator(spec["seed"])
        self.optimizer = make_optimizer(spec["optimizer"], model.n_parameters, dtype)
        n = len(self.X)
        size = spec["batch_size"]
        self.batch_size = n if size == "full" else max(1, min(int(size), n))
        self.l2 = float(spec.get("l2") or 0.0)
        clip = spec.get("gradient_clip")
        self.clip = float(clip) if clip else None
        self.layer_stats: list[dict[str, Any]] = []
        self.live = LiveInstruments(instruments, model, data) if instruments is not None else None
        self.every_epoch = self.live is not None and self.live.samples_every_epoch
        self.sampler = LayerSampler(model)
        # This epoch's finite batch losses, and where a blow-up happened.
        self.batch_losses: list[float] = []
        self.last_finite_loss: float | None = None
        self.blown_batch: int | None = None
        # Reused every step: the gathered batch and the L2 penalty term.
        rows = self.batch_size if self.batch_size < n else 0
        self.X_batch = np.empty((rows, self.X.shape[1]), dtype)
        self.y_batch = np.empty((rows, *self.y.shape[1:]), self.y.dtype)
        self.penalty = np.empty(model.n_weights, dtype) if self.l2 else None

    def run(self, on_epoch: Callable[[dict[str, Any]], bool | None] | None) -> TrainResult:
        """Train for the spec's epochs, or until diverged, cancelled or stopped early."""
        model, spec, live = self.model, self.spec, self.live
        history: list[dict[str, Any]] = []
        stopping = spec.get("early_stopping")
        best_loss, best_epoch, waited = math.inf, None, 0
        best_params = model.params.copy() if stopping else None
        status, stopped_early, learning_rate = "succeeded", False, 0.0
        blew_up_at = None
        for epoch in range(1, spec["epochs"] + 1):
            started = time.perf_counter() if live is not None else 0.0
            learning_rate = learning_rate_at(spec, epoch)
            sampled = len(self.layer_stats)
            train_loss = self._epoch(learning_rate, epoch)
            val_loss, predictions = (
                model.evaluate(self.X_val, self.y_val_targets)
                if math.isfinite(train_loss)
                else (math.nan, None)
            )
            if not (
                math.isfinite(train_loss)
                and math.isfinite(val_loss)
                and math.isfinite(float(np.add.reduce(model.params)))
            ):
                status = "diverged"
                record, blew_up_at = self._blow_up(epoch, train_loss, val_loss, learning_rate)
                history.append(record)
                if live is not None:
                    live.blew_up(epoch, model, self.layer_stats[-1]
                                 if len(self.layer_stats) > sampled else None)
                if on_epoch is not None:
                    on_epoch(record)  # the run is over whatever it answers
                break
            record = {
                "epoch": epoch,
                "train_loss": train_loss,
                "val_loss": val_loss,
                self.metric: METRICS[self.metric](self.y_val, predictions, self.task),
                "learning_rate": learning_rate,
            }
            history.append(record)
            if val_loss < best_loss - (stopping["min_delta"] if stopping else 0.0):
                best_loss, best_epoch, waited = val_loss, epoch, 0
                if best_params is not None:
                    np.copyto(best_params, model.params)
            else:
                waited += 1
            stops = bool(stopping) and waited >= stopping["patience"]
            if live is not None:
                layers = self.layer_stats[-1] if len(self.layer_stats) > sampled else None
                live.after_epoch(epoch, model, time.perf_counter() - started, layers,
                                 final=stops or epoch == spec["epochs"])
            if on_epoch is not None and on_epoch(record) is False:
                status = "cancelled"
                break
            if stops:
                stopped_early = True
                break
        if best_params is not None and status == "succeeded":
            np.copyto(model.params, best_params)
        if status == "diverged":
            found = [diagnosis.diverged(epoch, learning_rate),
                     *diagnosis.diverged_layers(self.layer_stats)]
        else:
            found = diagnosis.diagnose(history, self.layer_stats, learning_rate)
        if live is not None:
            live.finish()
        return TrainResult(
            status=status,
            history=history,
            model=model,
            diagnoses=found,
            message=found[0]["message"] if status == "diverged" else "",
            stopped_early=stopped_early,
            best_epoch=best_epoch,
            blew_up_at=blew_up_at,
            layer_stats=self.layer_stats,
            trajectory=live.trajectory if live is not None else None,
            instrument_seconds=live.report() if live is not None else {},
        )

    def _blow_up(
        self, epoch: int, train_loss: float, val_loss: float, learning_rate: float
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Return the record of the epoch a run blew up in, and where it blew up."""
        losses = list(self.batch_losses)
        if not math.isfinite(train_loss):
            detected_in, batch = "training", self.blown_batch
            train_loss = math.fsum(losses) / len(losses) if losses else math.nan
        elif not math.isfinite(val_loss):
            detected_in, batch = "validation", None
        else:
            detected_in, batch = "weights", None
        record = {
            "epoch": epoch,
            "train_loss": finite_or_none(train_loss),
            "val_loss": finite_or_none(val_loss) if detected_in == "weights" else None,
            self.metric: None,
            "learning_rate": learning_rate,
        }
        blew_up_at = {
            "epoch": epoch,
            "batch": batch,
            "batches": -(-len(self.X) // self.batch_size),
            "detected_in": detected_in,
            "last_finite_loss": losses[-1] if losses else self.last_finite_loss,
            "batch_losses": losses,
        }
        return record, blew_up_at

    def _epoch(self, learning_rate: float, epoch: int) -> float:
        """Run one epoch of updates; return the mean batch loss, or NaN once one is not finite.

        The epoch's finite batch losses are left in `batch_losses`; a non-finite one sets
        `blown_batch` (1-based).
        """
        model, optimizer = self.model, self.optimizer
        params = model.params
        X, y, rng, batch_size = self.X, self.y, self.rng, self.batch_size
        X_batch, y_batch, penalty = self.X_batch, self.y_batch, self.penalty
        l2, clip = self.l2, self.clip
        n = len(X)
        sample = (
            self.every_epoch
            or epoch <= SAMPLED_EPOCHS_START
            or epoch % SAMPLED_EPOCHS_EVERY == 0
        )
        batch_losses = self.batch_losses
        batch_losses.clear()
        # The full batch needs no shuffle: its gradient is a sum over every row anyway.
        order = rng.permutation(n) if batch_size < n else None
        total = 0.0
        for start in range(0, n, batch_size):
            if order is not None:
                index = order[start : start + batch_size]
                rows = len(index)
                Xb = np.take(X, index, axis=0, out=X_batch[:rows])
                yb = np.take(y, index, axis=0, out=y_batch[:rows])
            else:
                Xb, yb = X, y
            loss = model.step(Xb, yb, rng)
            if not math.isfinite(loss):
                self.blown_batch = start // batch_size + 1
                return math.nan
            batch_losses.append(loss)
            total += loss
            if l2 or clip is not None:
                regularise_gradients(model, l2, clip, penalty)
            if sample and start == 0:
                self.sampler.before_step()
                optimizer.step(params, model.grads, learning_rate)
                self._sample_layers(epoch)
            else:
                optimizer.step(params, model.grads, learning_rate)
        self.last_finite_loss = batch_losses[-1]
        return total / -(-n // batch_size)

    def _sample_layers(self, epoch: int) -> None:
        """Record the layer statistics of the step just taken (timed when instruments run)."""
        started = time.perf_counter() if self.live is not None else 0.0
        self.layer_stats.append({"epoch": epoch, "layers": self.sampler.sample()})
        if self.live is not None:
            self.live.add_layer_seconds(time.perf_counter() - started)
