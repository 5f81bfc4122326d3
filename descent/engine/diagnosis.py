"""What went wrong (or might have) in a run, as data the site can show: `{"code", "message"}`.

The rules read only the history and the sampled per-layer statistics (`layer_stats.py`), so
they cost nothing during training. Each says what it saw, with figures, and one concrete next step.
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
# A layer whose typical step moves its weights by more than this fraction: too large a rate.
LARGE_UPDATE_RATIO = 0.1
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


def vanishing_gradients(layer_stats: list[dict[str, Any]]) -> Diagnosis | None:
    """Flag gradients that shrink by orders of magnitude from the output toward the input.

    `layer_stats` holds the sampled `{"epoch", "layers": [LayerStats, ...]}`. For each layer
    the median, over the samples, of its gradient RMS over the last layer's is taken; the
    first layer's must be below `VANISHING_RATIO` (with at least 3 layers), and the message
    names the layer whose gradients are smallest.
    """
    ratios = _median_ratios(layer_stats)
    if ratios is None or len(ratios) < 3 or not ratios[0] < VANISHING_RATIO:
        return None
    weakest = min(range(len(ratios) - 1), key=lambda index: ratios[index])
    last = len(ratios)
    return Diagnosis(
        code="vanishing_gradients",
        message=(
            f"Gradients vanish toward the input: gradients in layer {weakest + 1} are "
            f"{ratios[weakest]:.1e} times those of layer {last} (the output layer), so the early "
            "layers barely learn. Try relu, leaky_relu or gelu instead of sigmoid or tanh, "
            "he_normal init, or fewer sigmoid layers."
        ),
    )


def updates_too_large(layer_stats: list[dict[str, Any]], learning_rate: float
                      ) -> Diagnosis | None:
    """Flag a layer whose typical step changes its weights by a large fraction of themselves.

    The median over the samples of each layer's update/weight ratio must exceed
    `LARGE_UPDATE_RATIO`; the message names the layer with the largest.
    """
    found = _largest_median_update(layer_stats)
    if found is None or not found[1] > LARGE_UPDATE_RATIO:
        return None
    layer, ratio = found
    return Diagnosis(
        code="updates_too_large",
        message=(
            f"Layer {layer}'s update is {_fraction(ratio)} its weights each step (healthy "  # noqa: S608 (English, not SQL)
            f"training moves 0.1 to 1 %): the learning rate {learning_rate:g} is too large. "
            f"Try learning_rate {learning_rate / 10:g} (10x lower), or set gradient_clip."
        ),
    )


def diverged_layers(layer_stats: list[dict[str, Any]]) -> list[Diagnosis]:
    """Name the layer whose last sampled update was the largest part of its weights.

    Added after `diverged`, when a sample shows updates of at least `LARGE_UPDATE_RATIO`.
    """
    if not layer_stats:
        return []
    last = layer_stats[-1]
    ratios = [(stats["layer"], stats["update_ratio"]) for stats in last["layers"]
              if stats["update_ratio"] is not None]
    if not ratios:
        return []
    layer, ratio = max(ratios, key=lambda pair: pair[1])
    if not ratio > LARGE_UPDATE_RATIO:
        return []
    return [
        Diagnosis(
            code="exploding_updates",
            message=(
                f"In epoch {last['epoch']} layer {layer}'s update was {_fraction(ratio)} its "
                "weights in one step: each step overshot, and the loss grew until it "
                "overflowed."
            ),
        )
    ]


def diagnose(
    history: list[dict[str, Any]], layer_stats: list[dict[str, Any]], learning_rate: float
) -> list[Diagnosis]:
    """Return every finding that applies to a run that ran its course."""
    history = [r for r in history if all(_finite(r[k]) for k in ("train_loss", "val_loss"))]
    found = [
        learning_rate_too_small(history, learning_rate),
        overfitting(history),
        vanishing_gradients(layer_stats),
        updates_too_large(layer_stats, learning_rate),
    ]
    return [finding for finding in found if finding is not None]


def _median(values: list[float]) -> float:
    """Return the median (the upper one of an even count)."""
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def _median_ratios(layer_stats: list[dict[str, Any]]) -> list[float] | None:
    """Return, per layer, the median over samples of its gradient RMS over the last layer's."""
    per_layer: list[list[float]] = []
    for sample in layer_stats:
        norms = [stats["grad_rms"] for stats in sample["layers"]]
        if any(norm is None for norm in norms) or not norms[-1] > 0:
            continue
        if not per_layer:
            per_layer = [[] for _ in norms]
        for index, norm in enumerate(norms):
            per_layer[index].append(norm / norms[-1])
    return [_median(ratios) for ratios in per_layer] if per_layer else None


def _largest_median_update(layer_stats: list[dict[str, Any]]) -> tuple[int, float] | None:
    """Return the layer (1-based) with the largest median update ratio, and that median."""
    per_layer: dict[int, list[float]] = {}
    for sample in layer_stats:
        for stats in sample["layers"]:
            if stats["update_ratio"] is not None:
                per_layer.setdefault(stats["layer"], []).append(stats["update_ratio"])
    if not per_layer:
        return None
    medians = {layer: _median(ratios) for layer, ratios in per_layer.items()}
    layer = max(medians, key=lambda key: medians[key])
    return layer, medians[layer]


def _fraction(ratio: float) -> str:
    """Return a ratio in words: "30 % of", or "18 times" from 2 up."""
    return f"{ratio * 100:.2g} % of" if ratio < 2 else f"{ratio:.2g} times"


def _finite(value: float | None) -> bool:
    """Return whether `value` is a finite float (None counts as finite: nothing to judge)."""
    return value is None or math.isfinite(value)
