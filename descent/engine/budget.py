"""Estimate what training a spec costs, before training it.

Challenges compare these figures with their budgets to reject a spec up front, so the
estimate is a pure function of the spec and the data's shape: cheap, deterministic, and
the same on every machine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from descent.engine.activations import ACTIVATIONS
from descent.engine.losses import LOSSES
from descent.engine.model import DTYPES
from descent.engine.optimizers import OPTIMIZERS
from descent.engine.spec import parse_spec, require_parsed

# Backward through a dense layer is two matrix products the size of the forward one
# (dX = dZ·Wᵀ and dW = Xᵀ·dZ), so one training step costs about 3 times the forward pass.
FORWARD_BACKWARD_FACTOR = 3


@dataclass(frozen=True)
class Budget:
    """What a spec costs to train on data of a given shape.

    - `parameters`: weights and biases, Σ (fan_in·units + units) over the layers.
    - `macs_per_epoch`: multiply-adds of one epoch: forward multiply-adds per sample
      (Σ fan_in·units) * 3 for forward + backward * `n_train`. Activations, the loss and the
      validation pass are not counted: they are small next to the matrix products.
    - `peak_memory_bytes`: parameters + their gradients + the optimizer's state
      (`OPTIMIZERS[name].state_arrays` arrays) + the activations one batch keeps for the
      backward pass (the input batch, and per layer its outputs and their gradient, a copy of
      the pre-activations where the activation's derivative needs them
      (`ACTIVATIONS[name].needs_input`: gelu), plus a dropout mask where dropout > 0), all in
      the spec's dtype.
    - `macs_total`: `macs_per_epoch * epochs`, the work of a run that never stops early.
    """

    parameters: int
    macs_per_epoch: int
    peak_memory_bytes: int
    macs_total: int


def estimate_budget(
    spec: Mapping[str, Any], *, n_inputs: int, n_train: int, parsed: bool = False
) -> Budget:
    """Estimate the parameters, work and peak memory of training `spec`.

    `spec` may be raw or normalised: it is parsed, so a bad spec raises `SpecError`. With
    `parsed=True` it must be `parse_spec` output and is not parsed again (a submission
    parses once); anything else raises `ValueError` (see `spec.require_parsed`), so no
    document skips validation. `n_inputs` is the data's width and `n_train` the number of
    training samples. Every figure comes from the tables: the optimizer's state arrays, the
    activation's kept input, the dtype's size.
    """
    if n_inputs < 1:
        raise ValueError(f"Invalid n_inputs: {n_inputs}; it must be ≥ 1")
    if n_train < 1:
        raise ValueError(f"Invalid n_train: {n_train}; it must be ≥ 1")
    if parsed:
        require_parsed(spec)
        normalised = spec
    else:
        normalised = parse_spec(spec)
    layers = normalised["layers"]
    # A fused last layer trains on logits: it runs no activation of its own.
    fused = LOSSES[normalised["loss"]].fused_with == layers[-1]["activation"]
    parameters = 0
    forward_macs = 0
    activations_per_sample = n_inputs
    fan_in = n_inputs
    for index, layer in enumerate(layers):
        units = layer["units"]
        parameters += fan_in * units + units
        forward_macs += fan_in * units
        activations_per_sample += 2 * units + (units if layer["dropout"] > 0 else 0)
        runs_activation = not (fused and index == len(layers) - 1)
        if runs_activation and ACTIVATIONS[layer["activation"]].needs_input:
            activations_per_sample += units
        fan_in = units

    batch_size = normalised["batch_size"]
    batch = n_train if batch_size == "full" else min(batch_size, n_train)
    slots = OPTIMIZERS[normalised["optimizer"]["name"]].state_arrays
    # Parameters, gradients and optimizer state are each one array per parameter.
    values = parameters * (2 + slots) + batch * activations_per_sample
    macs_per_epoch = forward_macs * FORWARD_BACKWARD_FACTOR * n_train
    return Budget(
        parameters=parameters,
        macs_per_epoch=macs_per_epoch,
        peak_memory_bytes=values * np.dtype(DTYPES[normalised["dtype"]]).itemsize,
        macs_total=macs_per_epoch * normalised["epochs"],
    )
