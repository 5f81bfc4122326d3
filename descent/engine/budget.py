"""Estimate what training a spec costs, before training it.

Challenges compare these figures with their budgets to reject a spec up front, so the
estimate is a pure function of the spec and the data's shape: cheap, deterministic, and
the same on every machine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from descent.engine.spec import parse_spec

# Backward through a dense layer is two matrix products the size of the forward one
# (dX = dZ·Wᵀ and dW = Xᵀ·dZ), so one training step costs about 3 times the forward pass.
FORWARD_BACKWARD_FACTOR = 3

# Per-parameter arrays each optimizer keeps between steps (velocity, squared-gradient sums,
# Adam's two moments).
OPTIMIZER_STATE_SLOTS = {
    "gd": 0,
    "sgd": 0,
    "momentum": 1,
    "nesterov": 1,
    "adagrad": 1,
    "rmsprop": 1,
    "adam": 2,
    "adamw": 2,
}

DTYPE_BYTES = {"float32": 4, "float64": 8}


@dataclass(frozen=True)
class Budget:
    """What a spec costs to train on data of a given shape.

    - `parameters`: weights and biases, Σ (fan_in·units + units) over the layers.
    - `macs_per_epoch`: multiply-adds of one epoch: forward multiply-adds per sample
      (Σ fan_in·units) * 3 for forward + backward * `n_train`. Activations, the loss and the
      validation pass are not counted: they are small next to the matrix products.
    - `peak_memory_bytes`: parameters + their gradients + the optimizer's state + the
      activations one batch keeps for the backward pass (the input batch, and per layer its
      pre-activations and outputs, plus a dropout mask where dropout > 0), all in the spec's
      dtype.
    - `macs_total`: `macs_per_epoch * epochs`, the work of a run that never stops early.
    """

    parameters: int
    macs_per_epoch: int
    peak_memory_bytes: int
    macs_total: int


def estimate_budget(spec: Mapping[str, Any], *, n_inputs: int, n_train: int) -> Budget:
    """Estimate the parameters, work and peak memory of training `spec`.

    `spec` may be raw or normalised (it is parsed, so a bad spec raises `SpecError`);
    `n_inputs` is the data's width and `n_train` the number of training samples.
    """
    if n_inputs < 1:
        raise ValueError(f"Invalid n_inputs: {n_inputs}; it must be ≥ 1")
    if n_train < 1:
        raise ValueError(f"Invalid n_train: {n_train}; it must be ≥ 1")
    normalised = parse_spec(spec)
    parameters = 0
    forward_macs = 0
    activations_per_sample = n_inputs
    fan_in = n_inputs
    for layer in normalised["layers"]:
        units = layer["units"]
        parameters += fan_in * units + units
        forward_macs += fan_in * units
        activations_per_sample += 2 * units + (units if layer["dropout"] > 0 else 0)
        fan_in = units

    batch_size = normalised["batch_size"]
    batch = n_train if batch_size == "full" else min(batch_size, n_train)
    slots = OPTIMIZER_STATE_SLOTS[normalised["optimizer"]["name"]]
    # Parameters, gradients and optimizer state are each one array per parameter.
    values = parameters * (2 + slots) + batch * activations_per_sample
    macs_per_epoch = forward_macs * FORWARD_BACKWARD_FACTOR * n_train
    return Budget(
        parameters=parameters,
        macs_per_epoch=macs_per_epoch,
        peak_memory_bytes=values * DTYPE_BYTES[normalised["dtype"]],
        macs_total=macs_per_epoch * normalised["epochs"],
    )
