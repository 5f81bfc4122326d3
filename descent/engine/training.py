"""`train`: run a normalised spec on a dataset, epoch by epoch, and report what happened.

The loop is written for small networks, where Python overhead per batch costs more than the
arithmetic: batches are gathered by index into one reused buffer, the forward and backward
passes write into per-layer buffers, and the optimizer updates one flat parameter buffer.
Numpy's float errors are silenced and caught as non-finite values instead: a run that blows
up ends with status "diverged", never with an exception.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from descent.engine import diagnosis
from descent.engine.diagnosis import Diagnosis
from descent.engine.metrics import METRICS, default_metric
from descent.engine.model import Model, build_model
from descent.engine.optimizers import make_optimizer
from descent.engine.schedules import learning_rate_at

# Per-layer gradient norms are sampled on the first batch of these epochs (for diagnosis).
SAMPLED_EPOCHS_START = 5
SAMPLED_EPOCHS_EVERY = 10
# PyTorch's clip_grad_norm_ guard against a zero norm.
CLIP_EPS = 1e-6


@dataclass
class TrainResult:
    """The outcome of `train`: status, per-epoch history, findings and the trained model."""

    status: str  # "succeeded", "diverged" or "cancelled"
    history: list[dict[str, Any]]
    model: Model
    diagnoses: list[Diagnosis] = field(default_factory=list)
    message: str = ""
    stopped_early: bool = False
    best_epoch: int | None = None


def train(
    spec: dict[str, Any],
    data: Any,
    on_epoch: Callable[[dict[str, Any]], bool | None] | None = None,
    *,
    metric: str | None = None,
) -> TrainResult:
    """Train the network `spec` describes on `data` (a `Dataset`) and return the result.

    `on_epoch(record)` is called after each epoch; returning `False` cancels the run.
    """
    with np.errstate(all="ignore"):
        return _Trainer(spec, data, metric).run(on_epoch)


class _Trainer:
    """The state of one training run; `run` is the loop."""

    def __init__(self, spec: dict[str, Any], data: Any, metric: str | None) -> None:
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
        # A separate stream from the one that drew the initial weights.
        self.rng = np.random.default_rng(np.random.SeedSequence(spec["seed"], spawn_key=(1,)))
        self.optimizer = make_optimizer(spec["optimizer"], model.n_parameters, dtype)
        n = len(self.X)
        size = spec["batch_size"]
        self.batch_size = n if size == "full" else max(1, min(int(size), n))
        self.l2 = float(spec.get("l2") or 0.0)
        clip = spec.get("gradient_clip")
        self.clip = float(clip) if clip else None
        self.gradient_norms: list[list[float]] = []
        # Reused every step: the gathered batch and the L2 penalty term.
        rows = self.batch_size if self.batch_size < n else 0
        self.X_batch = np.empty((rows, self.X.shape[1]), dtype)
        self.y_batch = np.empty((rows, *self.y.shape[1:]), self.y.dtype)
        self.penalty = np.empty(model.n_weights, dtype) if self.l2 else None

    def run(self, on_epoch: Callable[[dict[str, Any]], bool | None] | None) -> TrainResult:
        """Train for the spec's epochs, or until diverged, cancelled or stopped early."""
        model, spec = self.model, self.spec
        history: list[dict[str, Any]] = []
        stopping = spec.get("early_stopping")
        best_loss, best_epoch, waited = math.inf, None, 0
        best_params = model.params.copy() if stopping else None
        status, stopped_early, learning_rate = "succeeded", False, 0.0
        for epoch in range(1, spec["epochs"] + 1):
            learning_rate = learning_rate_at(spec, epoch)
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
            if on_epoch is not None and on_epoch(record) is False:
                status = "cancelled"
                break
            if stopping and waited >= stopping["patience"]:
                stopped_early = True
                break
        if best_params is not None and status == "succeeded":
            np.copyto(model.params, best_params)
        if status == "diverged":
            found = [diagnosis.diverged(epoch, learning_rate)]
        else:
            found = diagnosis.diagnose(history, self.gradient_norms, learning_rate)
        return TrainResult(
            status=status,
            history=history,
            model=model,
            diagnoses=found,
            message=found[0]["message"] if status == "diverged" else "",
            stopped_early=stopped_early,
            best_epoch=best_epoch,
        )

    def _epoch(self, learning_rate: float, epoch: int) -> float:
        """Run one epoch of updates; return the mean batch loss, or NaN once one is not finite."""
        model, optimizer = self.model, self.optimizer
        params, grads = model.params, model.grads
        X, y, rng, batch_size = self.X, self.y, self.rng, self.batch_size
        X_batch, y_batch, penalty = self.X_batch, self.y_batch, self.penalty
        l2, clip = self.l2, self.clip
        n = len(X)
        sample_norms = epoch <= SAMPLED_EPOCHS_START or epoch % SAMPLED_EPOCHS_EVERY == 0
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
                return math.nan
            total += loss
            if sample_norms and start == 0:
                self.gradient_norms.append(model.layer_gradient_norms())
            if l2:
                model.add_penalty_gradient(l2, penalty)
            if clip is not None:
                norm = math.sqrt(float(np.vdot(grads, grads)))
                if norm > clip:
                    grads *= clip / (norm + CLIP_EPS)
            optimizer.step(params, grads, learning_rate)
        return total / -(-n // batch_size)
