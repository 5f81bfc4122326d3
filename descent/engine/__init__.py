"""Descent's numpy training engine: numpy and the standard library only.

The public names below are the contract of `../shared/CONTRACT.md` §6 and the instruments
(`docs/engine.md`, "Instruments"); the web side uses only `spec` (to validate) and `datasets`
(to describe data), and only `workers` calls `training` and the instruments.
"""

from descent.engine.boundary import boundary_frame, decode_grid, grid_bounds, predict_grid
from descent.engine.budget import Budget, estimate_budget
from descent.engine.datasets import (
    DATASETS,
    Dataset,
    UnknownDatasetError,
    dataset_hash,
    load_dataset,
)
from descent.engine.gradcheck import check_gradients
from descent.engine.instruments import Instruments
from descent.engine.landscape import (
    Directions,
    Surface,
    loss_surface,
    pca_directions,
    project_path,
    random_directions,
    shared_surface,
    surface_forward_passes,
)
from descent.engine.layer_stats import LayerSampler, LayerStats
from descent.engine.model import Model, build_model
from descent.engine.spec import SpecError, parse_spec, spec_hash, to_dict, validate_for_data
from descent.engine.stepper import trace_step
from descent.engine.training import TrainResult, train
from descent.engine.trajectory import Trajectory
from descent.engine.version import ENGINE_VERSION

__all__ = [
    "DATASETS",
    "ENGINE_VERSION",
    "Budget",
    "Dataset",
    "Directions",
    "Instruments",
    "LayerSampler",
    "LayerStats",
    "Model",
    "SpecError",
    "Surface",
    "TrainResult",
    "Trajectory",
    "UnknownDatasetError",
    "boundary_frame",
    "build_model",
    "check_gradients",
    "dataset_hash",
    "decode_grid",
    "estimate_budget",
    "grid_bounds",
    "load_dataset",
    "loss_surface",
    "parse_spec",
    "pca_directions",
    "predict_grid",
    "project_path",
    "random_directions",
    "shared_surface",
    "spec_hash",
    "surface_forward_passes",
    "to_dict",
    "trace_step",
    "train",
    "validate_for_data",
]
