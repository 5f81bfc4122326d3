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
