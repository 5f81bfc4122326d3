"""Turn engine numbers into strict JSON: Python floats, and None where a value is NaN or ±inf.

JSON (and PostgreSQL's jsonb) has no NaN or infinity, and a diverged run is full of them, so
every instrument's output passes through here before it leaves the engine.
"""

import math
from typing import Any

import numpy as np


def finite_or_none(value: Any) -> float | None:
    """Return `value` as a Python float, or None if it is NaN, ±inf or None."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def json_array(array: np.ndarray) -> Any:
    """Return an array as nested lists of Python floats, None for every non-finite entry.

    Shape: any; a 0-d array gives a single float (or None).
    """
    values = np.asarray(array, dtype=np.float64)
    if values.ndim == 0:
        return finite_or_none(values)
    if np.isfinite(values).all():
        return values.tolist()
    return np.where(np.isfinite(values), values, None).tolist()
