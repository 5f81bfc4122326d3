"""Descent's numpy training engine: numpy and the standard library only.

The public names below are the contract of `../shared/CONTRACT.md` §6; the web side uses only
`spec` (to validate) and `datasets` (to describe data), and only `workers` calls `training`.
"""

from descent.engine.budget import Budget, estimate_budget
from descent.engine.datasets import DATASETS, Dataset, UnknownDatasetError, load_dataset
from descent.engine.gradcheck import check_gradients
from descent.engine.model import Model, build_model
from descent.engine.spec import SpecError, parse_spec, spec_hash, to_dict, validate_for_data
from descent.engine.training import TrainResult, train
from descent.engine.version import ENGINE_VERSION

__all__ = [
    "DATASETS",
    "ENGINE_VERSION",
    "Budget",
    "Dataset",
    "Model",
    "SpecError",
    "TrainResult",
    "UnknownDatasetError",
    "build_model",
    "check_gradients",
    "estimate_budget",
    "load_dataset",
    "parse_spec",
    "spec_hash",
    "to_dict",
    "train",
    "validate_for_data",
]
