"""Scores of predictions against labels: accuracy, r2, mse, mae, log_loss.

Shape:
    - y: (n,) class indices for classification, (n, k) values for regression
    - predictions: what `Model.predict` returns, (n, k): class probabilities (binary: (n, 1),
      the probability of class 1) or values

`METRICS`, at the bottom, is the one table of metrics: each row has the function, which way
is better and the tasks it fits, so a challenge ranks by `metric_higher_is_better(name)` and
offers `metrics_for_task(task)` instead of keeping its own copy. To add a metric, write its
function here and add its row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from descent.engine.tasks import BINARY, MULTICLASS, REGRESSION, TASKS

MetricFunction = Callable[[np.ndarray, np.ndarray, str], float]

# Probabilities are clipped this far from 0 and 1 so that log_loss stays finite.
PROBABILITY_EPS = 1e-7


def _classes(predictions: np.ndarray, task: str) -> np.ndarray:
    """Return the predicted class of each row."""
    if task == "binary" and predictions.shape[1] == 1:
        return (predictions[:, 0] > 0.5).astype(np.intp)
    return predictions.argmax(axis=1)


def _values(y: np.ndarray, predictions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return targets and predictions as float64 (n, k) arrays."""
    y = np.asarray(y, dtype=np.float64)
    return y.reshape(len(y), -1), np.asarray(predictions, dtype=np.float64)


def accuracy(y: np.ndarray, predictions: np.ndarray, task: str) -> float:
    """Return the fraction of rows whose most probable class is the label."""
    return float(np.mean(_classes(predictions, task) == np.asarray(y).reshape(-1)))


def mse(y: np.ndarray, predictions: np.ndarray, task: str) -> float:
    """Return the mean squared error over samples and outputs."""
    y, predictions = _values(y, predictions)
    return float(np.mean((predictions - y) ** 2))


def mae(y: np.ndarray, predictions: np.ndarray, task: str) -> float:
    """Return the mean absolute error over samples and outputs."""
    y, predictions = _values(y, predictions)
    return float(np.mean(np.abs(predictions - y)))


def r2(y: np.ndarray, predictions: np.ndarray, task: str) -> float:
    """Return the coefficient of determination, averaged over outputs (scikit-learn's default).

    An output with constant targets scores 1 if predicted exactly, else 0, as scikit-learn does.
    """
    y, predictions = _values(y, predictions)
    residual = y - predictions
    spread = y - y.mean(axis=0)
    # einsum sums the squares per column in one pass, without temporaries.
    residual_sum = np.einsum("ij,ij->j", residual, residual)
    total_sum = np.einsum("ij,ij->j", spread, spread)
    scores = [
        1.0 - res / tot if tot > 0 else float(res == 0)
        for res, tot in zip(residual_sum.tolist(), total_sum.tolist(), strict=True)
    ]
    return sum(scores) / len(scores)


def log_loss(y: np.ndarray, predictions: np.ndarray, task: str) -> float:
    """Return the mean negative log-probability of the true class."""
    probabilities = np.asarray(predictions, np.float64)
    probabilities = np.clip(probabilities, PROBABILITY_EPS, 1 - PROBABILITY_EPS)
    labels = np.asarray(y).reshape(-1).astype(np.intp)
    if probabilities.shape[1] == 1:
        p = probabilities[:, 0]
        return float(-np.mean(np.where(labels == 1, np.log(p), np.log1p(-p))))
    return float(-np.mean(np.log(probabilities[np.arange(len(labels)), labels])))


@dataclass(frozen=True)
class Metric:
    """One row of `METRICS`: the function, which way is better, and the tasks it fits.

    Calling the row scores: `METRICS["accuracy"](y, predictions, task)`.
    """

    function: MetricFunction
    higher_is_better: bool
    tasks: tuple[str, ...]

    def __call__(self, y: np.ndarray, predictions: np.ndarray, task: str) -> float:
        """Return the score of `predictions` against `y`."""
        return self.function(y, predictions, task)


CLASSIFICATION = (BINARY, MULTICLASS)

# In the order challenges list them (their database choices follow it).
METRICS: dict[str, Metric] = {
    "accuracy": Metric(accuracy, higher_is_better=True, tasks=CLASSIFICATION),
    "r2": Metric(r2, higher_is_better=True, tasks=(REGRESSION,)),
    "mse": Metric(mse, higher_is_better=False, tasks=(REGRESSION,)),
    "mae": Metric(mae, higher_is_better=False, tasks=(REGRESSION,)),
    "log_loss": Metric(log_loss, higher_is_better=False, tasks=CLASSIFICATION),
}

# What a run reports when nobody names a metric.
DEFAULT_METRICS = {REGRESSION: "r2", BINARY: "accuracy", MULTICLASS: "accuracy"}


def default_metric(task: str) -> str:
    """Return the metric a task reports when none is named: accuracy, or r2 for regression."""
    return DEFAULT_METRICS.get(task, "accuracy")


def metric_higher_is_better(name: str) -> bool:
    """Tell whether a higher `name` score is better (accuracy, r2) or worse (mse, log_loss)."""
    if name not in METRICS:
        raise ValueError(f"Unknown metric: {name!r}; expected one of {', '.join(METRICS)}")
    return METRICS[name].higher_is_better


def metrics_for_task(task: str) -> tuple[str, ...]:
    """Return the names of the metrics that fit `task`, in table order."""
    if task not in TASKS:
        raise ValueError(f"Invalid task: {task!r}; use one of: {', '.join(TASKS)}")
    return tuple(name for name, metric in METRICS.items() if task in metric.tasks)


def score(metric: str, model: Any, X: np.ndarray, y: np.ndarray, task: str) -> float:
    """Return `metric` of `model`'s predictions on `X` against labels `y`."""
    if metric not in METRICS:
        raise ValueError(f"Unknown metric: {metric!r}; expected one of {sorted(METRICS)}")
    return METRICS[metric](y, model.predict(X), task)
