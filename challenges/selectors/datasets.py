"""Dataset reads for challenges: load (cached by the engine) and describe without labels."""

from __future__ import annotations

import functools
import json
from typing import Any

import numpy as np

from challenges.models import Challenge
from descent.engine.datasets import Dataset, dataset_hash, load_dataset


def challenge_dataset(challenge: Challenge) -> Dataset:
    """Return the challenge's dataset (train, validation and the hidden test split)."""
    return load_dataset(challenge.dataset, seed=challenge.dataset_seed,
                        **(challenge.dataset_params or {}))


def challenge_dataset_hash(challenge: Challenge) -> str:
    """Return the hash of the challenge's dataset arrays, computed once per process and data."""
    return _dataset_hash(challenge.dataset, challenge.dataset_seed,
                         json.dumps(challenge.dataset_params or {}, sort_keys=True))


@functools.lru_cache(maxsize=64)
def _dataset_hash(name: str, seed: int, params: str) -> str:
    # Keyed like the engine's own dataset cache: the same arrays hash once per process.
    return dataset_hash(load_dataset(name, seed=seed, **json.loads(params)))


def dataset_describe(challenge: Challenge) -> dict[str, Any]:
    """Describe the data's shape and balance; never any test label."""
    data = challenge_dataset(challenge)
    description: dict[str, Any] = {
        "name": data.name,
        "task": data.task,
        "n_inputs": data.n_inputs,
        "n_outputs": data.n_outputs,
        "n_classes": data.n_classes,
        "n_train": len(data.X_train),
        "n_val": len(data.X_val),
        "n_test": len(data.X_test),
        "description": data.description,
    }
    if data.n_classes:
        counts = np.bincount(data.y_train, minlength=data.n_classes)
        description["class_balance"] = [int(c) for c in counts]
    return description
