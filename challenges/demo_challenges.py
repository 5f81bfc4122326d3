"""The demo challenges `make run` seeds: the eight steps of the learning path.

They are defined, with their lessons, quizzes and tuned specs, in `challenges.blueprint_world`;
each starter spec passes `spec_check` (figures measured with `descent.engine.train` on the same
data, seed 0, are in that module and in docs/blueprint.md).
"""

from __future__ import annotations

from typing import Any

from challenges.blueprint_world import BLUEPRINT_WORLD, WORLD_DEFAULTS

DEMO_CHALLENGES: list[dict[str, Any]] = [node["challenge"] for node in BLUEPRINT_WORLD]

# Shared by every demo challenge: a run should finish well inside two minutes.
DEMO_DEFAULTS: dict[str, Any] = WORLD_DEFAULTS

# One challenge seeded as a draft, for staff to try the curation flow: publish it from the
# admin (Challenges → tick it → "Publish"), and it appears in the list for everyone.
DRAFT_CHALLENGE: dict[str, Any] = {
    "slug": "moons-sprint",
    "title": "Moons sprint (draft: publish me)",
    "lesson": "Two interleaving half-moons. A draft until staff publish it from the admin.\n\n"
              "Ranked by **accuracy** on the hidden test split: higher is better.",
    "dataset": "moons",
    "dataset_params": {"noise": 0.2},
    "metric": "accuracy",
    "unlock_threshold": 0.95,
    "starter_spec": {
        "layers": [{"units": 16, "activation": "tanh"}, {"units": 1, "activation": "sigmoid"}],
        "loss": "binary_cross_entropy",
        "optimizer": {"name": "adam", "learning_rate": 0.03},
        "epochs": 150,
        "batch_size": 32,
        "seed": 0,
    },
}
