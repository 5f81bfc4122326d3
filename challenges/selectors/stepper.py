"""One real training step of a tiny network, for the stepper page (`descent.engine.trace_step`).

The network and data are fixed, so the page's numbers are reproducible and the work is
bounded: 2 inputs → 3 tanh units → 3 softmax outputs (21 parameters), cross-entropy, on the
first `batch` (≤ 8) training rows of the `blobs` dataset (seed 0). The viewer picks the
optimizer and the learning rate.
"""

from __future__ import annotations

from typing import Any

from descent.engine.datasets import load_dataset
from descent.engine.spec import parse_spec
from descent.engine.stepper import trace_step

STEPPER_OPTIMIZERS = ("gd", "sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")
STEPPER_DATASET = "blobs"
MAX_BATCH = 8
MIN_LEARNING_RATE = 1e-6
MAX_LEARNING_RATE = 10.0


def stepper_spec(optimizer: str, learning_rate: float) -> dict[str, Any]:
    """Return the stepper's normalised spec with `optimizer` at `learning_rate`."""
    return parse_spec({
        "layers": [{"units": 3, "activation": "tanh"}, {"units": 3, "activation": "softmax"}],
        "loss": "cross_entropy",
        "optimizer": {"name": optimizer, "learning_rate": learning_rate},
        "epochs": 1,
        "batch_size": "full",
        "seed": 0,
        "dtype": "float64",
    })


def step_trace(*, optimizer: str = "sgd", learning_rate: float = 0.5, batch: int = 4
               ) -> dict[str, Any]:
    """Return the engine's line-by-line record of one step (inputs already validated)."""
    return trace_step(stepper_spec(optimizer, learning_rate), load_dataset(STEPPER_DATASET),
                      learning_rate=learning_rate, batch=batch)
