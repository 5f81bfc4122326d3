"""Preview a challenge's data: shape, splits, class balance and a scatter picture.

Shared by the challenge page and the admin change page. Only the train split is drawn, and
only its own labels: the test labels never leave the worker.
"""

from __future__ import annotations

import base64
import io
import json
from functools import lru_cache
from typing import Any

from challenges.models import Challenge
from challenges.selectors.datasets import challenge_dataset, dataset_describe

# Enough points to show the shape of the data without a multi-megabyte picture.
MAX_POINTS = 2000
# A colour-blind-safe qualitative palette (Okabe-Ito), one colour per class.
CLASS_COLOURS = [
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
    "#999999",
    "#882255",
]


def dataset_preview(challenge: Challenge) -> dict[str, Any]:
    """Describe the challenge's data and add a scatter PNG (a data URI) when it is drawable.

    `scatter` is None when the data has more than two inputs (or one input and a
    multi-column target): there is no honest 2-D picture of it.
    """
    description = dataset_describe(challenge)
    description["scatter"] = _scatter_cached(
        challenge.dataset,
        challenge.dataset_seed,
        json.dumps(challenge.dataset_params or {}, sort_keys=True),
    )
    balance = description.get("class_balance") or []
    description["class_balance_rows"] = [
        {
            "label": label,
            "count": count,
            "colour": CLASS_COLOURS[label % len(CLASS_COLOURS)],
            "share": count / max(1, description["n_train"]),
        }
        for label, count in enumerate(balance)
    ]
    return description


@lru_cache(maxsize=64)
def _scatter_cached(dataset: str, seed: int, params_json: str) -> str | None:
    # Keyed by what decides the data, so a challenge edited in the admin gets a new picture.
    challenge = Challenge(
        dataset=dataset, dataset_seed=seed, dataset_params=json.loads(params_json)
    )
    return scatter_png_data_uri(challenge)


def scatter_png_data_uri(challenge: Challenge) -> str | None:
    """Draw the train split (inputs 2-D coloured by class, or 1-D input against the target)."""
    data = challenge_dataset(challenge)
    X, y = data.X_train[:MAX_POINTS], data.y_train[:MAX_POINTS]
    if data.n_inputs == 2:
        return _draw(X[:, 0], X[:, 1], y, classes=data.n_classes, xlabel="x₀", ylabel="x₁")
    if data.n_inputs == 1 and data.task == "regression" and y.shape[1] == 1:
        return _draw(X[:, 0], y[:, 0], None, classes=None, xlabel="x", ylabel="y")
    return None


def _draw(xs: Any, ys: Any, labels: Any, *, classes: int | None, xlabel: str, ylabel: str) -> str:
    # Imported here: matplotlib costs ~0.3 s to import and only previews need it. `Figure`
    # with its own Agg canvas never touches pyplot's global state, so threads are safe.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(4, 4), dpi=80)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    if classes:
        for label in range(classes):
            mask = labels == label
            axes.scatter(
                xs[mask],
                ys[mask],
                s=8,
                alpha=0.8,
                label=f"class {label}",
                color=CLASS_COLOURS[label % len(CLASS_COLOURS)],
            )
        axes.legend(loc="best", fontsize=7, markerscale=1.5)
    else:
        axes.scatter(xs, ys, s=8, alpha=0.7, color=CLASS_COLOURS[0])
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.set_title("train split", fontsize=9)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
