"""What went wrong (or might have) in a run, as data the site can show: `{"code", "message"}`.

The rules read only the history and a few sampled per-layer gradient norms, so they cost
nothing during training. Each says what it saw, with figures, and one concrete next step.
"""

import math
from typing import Any, TypedDict

# A loss that moves less than this fraction of its start over the whole run "barely moves".
BARELY_MOVES = 0.02
# Below this a loss has converged rather than stalled.
CONVERGED_LOSS = 1e-3
# Validation loss this much over its best, with the training loss still falling: overfitting.
OVERFIT_RISE = 0.10
# First layer's gradient RMS below this fraction of the last layer's: vanishing gradients.
VANISHING_RATIO = 1e-3
MIN_EPOCHS_TO_JUDGE = 5


class Diagnosis(TypedDict):
    """One finding: a stable `code` for programs and a `message` for people."""

    code: str
    message: str


def diverged(epoch: int, learning_rate: float) -> Diagnosis:
    """Explain a run stopped by a NaN or infinite loss or weight, with a 10x lower rate."""
    return Diagnosis(
        code="diverged",
        message=(
            f"Training diverged in epoch {epoch}: the loss became NaN or infinite because the "
            f"gradients exploded at learning rate {learning_rate:g}. "
            f"Try learning_rate {learning_rate / 10:g} (10x lower), or set gradient_clip."
        ),
    )


def learning_rate_too_small(
    history: list[dict[str, Any]], learning_rate: float
) -> Diagnosis | None:
    """Flag a loss that barely moved over a run that had not converged.

    It reads the validation loss, which dropout does not jitter, when there is one.
    """
    key = "val_loss" if history and history[-1]["val_loss"] is not None else "train_loss"
    losses = [record[key] for record in history]
    if len(losses) < MIN_EPOCHS_TO_JUDGE or losses[-1] < CONVERGED_LOSS:
        return None
    if max(losses) - min(losses) > BARELY_MOVES * abs(losses[0]):
        return None
    name = "validation" if key == "val_loss" else "training"
    return Diagnosis(
        code="learning_rate_too_small",
        message=(
            f"The {name} loss barely moved, from {losses[0]:.4g} to {losses[-1]:.4g} over "
            f"{len(losses)} epochs: the learning rate {learning_rate:g} is probably too small. "
            f"Try learning_rate {learning_rate * 10:g} (10x higher)."
        ),
    )


def overfitting(history: list[dict[str, Any]]) -> Diagnosis | None:
    """Flag a validation loss that stayed well above its best while the training loss fell.

    The best epoch must lie in the first three quarters of the run and the last tenth must
    average above it, so that the wobble of a still-converging run does not count.
    """
    if len(history) < 2 * MIN_EPOCHS_TO_JUDGE or history[-1]["val_loss"] is None:
        return None
    best = min(history, key=lambda record: record["val_loss"])
    last = history[-1]
    tail = history[-max(3, len(history) // 10) :]
    tail_val_loss = sum(record["val_loss"] for record in tail) / len(tail)
    if best["epoch"] > 0.75 * last["epoch"] or last["train_loss"] >= best["train_loss"]:
        return None
    if tail_val_loss <= best["val_loss"] * (1 + OVERFIT_RISE) + 1e-12:
        return None
    return Diagnosis(
        code="overfitting",
        message=(
            f"The network is overfitting: the validation loss was lowest ({best['val_loss']:.4g}) "
            f"in epoch {best['epoch']}, then rose to {last['val_loss']:.4g} while the training "
            f"loss kept falling to {last['train_loss']:.4g}. Try early_stopping, dropout, l2, "
            "or a smaller network."
        ),
    )


def vanishing_gradients(gradient_norms: list[list[float]]) -> Diagnosis | None:
    """Flag gradients that shrink by orders of magnitude from the output toward the input.

    `gradient_norms` holds, per sampled step, each layer's weight-gradient RMS, input side
    first.
    """
    ratios = sorted(
        norms[0] / norms[-1] for norms in gradient_norms if len(norms) >= 3 and norms[-1] > 0
    )
    if not ratios:
        return None
    median = ratios[len(ratios) // 2]
    if not median < VANISHING_RATIO:
        return None
    return Diagnosis(
        code="vanishing_gradients",
        message=(
            f"Gradients vanish toward the input: the first layer's are {median:.1e} times the "
            "last layer's, so the early layers barely learn. Try relu, leaky_relu or gelu "
            "instead of sigmoid or tanh, he_normal init, or fewer layers."
        ),
    )


def diagnose(
    history: list[dict[str, Any]], gradient_norms: list[list[float]], learning_rate: float
) -> list[Diagnosis]:
    """Return every finding that applies to a run that ran its course."""
    history = [r for r in history if all(_finite(r[k]) for k in ("train_loss", "val_loss"))]
    found = [
        learning_rate_too_small(history, learning_rate),
        overfitting(history),
        vanishing_gradients(gradient_norms),
    ]
    return [finding for finding in found if finding is not None]


def _finite(value: float | None) -> bool:
    """Return whether `value` is a finite float (None counts as finite: nothing to judge)."""
    return value is None or math.isfinite(value)
