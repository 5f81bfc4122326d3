"""The demo challenges `make run` seeds: three lessons, from a straight line to spirals.

Each starter spec passes `spec_check` and trains to a decent score (figures measured with
`descent.engine.train` on the same data, seed 0), leaving room to do better.
"""

from __future__ import annotations

from typing import Any

FIT_A_LINE_LESSON = """\
# Fit a line

The data is a noisy straight line: one input `x`, one target `y = a·x + b + noise`.
A single `linear` unit computes exactly `w·x + b`, so gradient descent only has to find
`w` and `b`.

**Try this:** change `learning_rate`. At `0.05` plain `sgd` settles in a few dozen
epochs; at `1.5` the loss explodes and the run *diverges*; at `0.001` it barely moves.
The loss chart on your run's page shows which one you got.

The score is the **mean squared error** on the hidden test split: lower is better. The
noise puts a floor under it (about 0.01), so nobody can reach zero.
"""

BLOBS_LESSON = """\
# Blobs

Three clouds of points in the plane, one per class, overlapping at the edges. The network
reads two coordinates and outputs three probabilities (`softmax` with `cross_entropy`).

- A hidden layer of a few `relu` units is plenty: the classes are almost linearly separable.
- Because the clouds overlap, no network gets every point right. Chasing the last percent
  on the validation split tends to **overfit**: watch the validation loss turn upward
  while the training loss keeps falling.

Ranked by **accuracy** on the hidden test split: higher is better.
"""

SPIRALS_LESSON = """\
# Spirals

Three interleaved spiral arms. No straight line, nor a handful of them, separates the
classes: the network needs enough hidden units, and a nonlinearity, to bend its decision
boundary around the arms.

Things to try:

1. More units, or a second hidden layer (mind the parameter budget).
2. `adam` instead of `sgd`, and more epochs.
3. `early_stopping` so that a long run keeps its best epoch.

Ranked by **accuracy** on the hidden test split: higher is better.
"""

DEMO_CHALLENGES: list[dict[str, Any]] = [
    {
        "slug": "fit-a-line",
        "title": "Fit a line",
        "lesson": FIT_A_LINE_LESSON,
        "dataset": "linear",
        "dataset_params": {"noise": 0.1},
        "metric": "mse",
        "max_parameters": 100,
        "max_epochs": 500,
        "max_work": 50_000_000,
        "unlock_threshold": 0.02,
        # Reaches test mse 0.0089 in 50 epochs.
        "starter_spec": {
            "version": 1,
            "layers": [{"units": 1, "activation": "linear"}],
            "loss": "mse",
            "optimizer": {"name": "sgd", "learning_rate": 0.05},
            "epochs": 50,
            "batch_size": 32,
            "seed": 0,
        },
    },
    {
        "slug": "blobs",
        "title": "Blobs",
        "lesson": BLOBS_LESSON,
        "dataset": "blobs",
        "dataset_params": {"noise": 2.5},
        "metric": "accuracy",
        "max_parameters": 2_000,
        "max_epochs": 500,
        "max_work": 500_000_000,
        "unlock_threshold": 0.85,
        # Reaches test accuracy 0.900 (validation 0.908) in 60 epochs.
        "starter_spec": {
            "version": 1,
            "layers": [{"units": 16, "activation": "relu"}, {"units": 3, "activation": "softmax"}],
            "init": "he_normal",
            "loss": "cross_entropy",
            "optimizer": {"name": "adam", "learning_rate": 0.01},
            "epochs": 60,
            "batch_size": 32,
            "seed": 0,
        },
    },
    {
        "slug": "spirals",
        "title": "Spirals",
        "lesson": SPIRALS_LESSON,
        "dataset": "spirals",
        "dataset_params": {"noise": 0.3},
        "metric": "accuracy",
        "max_parameters": 10_000,
        "max_epochs": 2_000,
        "max_work": 20_000_000_000,
        "unlock_threshold": 0.95,
        # Reaches test accuracy 0.933 (validation 0.958) in 100 epochs: below the threshold
        # on purpose, so that clearing it takes a change.
        "starter_spec": {
            "version": 1,
            "layers": [{"units": 16, "activation": "tanh"}, {"units": 3, "activation": "softmax"}],
            "loss": "cross_entropy",
            "optimizer": {"name": "sgd", "learning_rate": 0.1},
            "epochs": 100,
            "batch_size": 32,
            "seed": 0,
        },
    },
]

# Shared by every demo challenge: a run should finish well inside two minutes.
DEMO_DEFAULTS: dict[str, Any] = {"time_limit_seconds": 120, "daily_quota": 20}
