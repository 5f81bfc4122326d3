"""Spec samples shared by the spec tests: the smallest valid spec and its errors."""

import pytest

from descent.engine.spec import SpecError, parse_spec

# CONTRACT.md §1's example spec.
CONTRACT_EXAMPLE = {
    "version": 1,
    "layers": [
        {"units": 32, "activation": "relu"},
        {"units": 32, "activation": "tanh", "dropout": 0.1},
        {"units": 3, "activation": "softmax"},
    ],
    "init": "he_normal",
    "loss": "cross_entropy",
    "optimizer": {"name": "adam", "learning_rate": 0.01},
    "schedule": {"name": "constant"},
    "epochs": 200,
    "batch_size": 32,
    "l2": 0.0,
    "gradient_clip": None,
    "early_stopping": None,
    "seed": 42,
}


def minimal(**changes):
    """Return the smallest valid regression spec, with top-level keys replaced."""
    spec = {
        "layers": [{"units": 1, "activation": "linear"}],
        "loss": "mse",
        "optimizer": {"name": "sgd", "learning_rate": 0.1},
    }
    spec.update(changes)
    return spec


def errors_of(raw):
    with pytest.raises(SpecError) as caught:
        parse_spec(raw)
    return caught.value.errors
