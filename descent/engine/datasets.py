"""The data sets runs train on: seeded synthetic generators and scikit-learn's bundled sets.

A data set is a pure function of (name, seed, params): the same call gives the same arrays,
bit for bit. Every data set is split 60/20/20 into train/validation/test (stratified by class
for classification) and X is standardised with the train split's mean and std only, so no
statistic leaks from the validation or test samples. Results are cached and their arrays are
read-only, so a caller cannot corrupt what the next caller gets.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

TRAIN_FRACTION = 0.6
VAL_FRACTION = 0.2

# Enough samples that every class lands in every split (5 per class at 60/20/20).
MIN_SAMPLES_PER_CLASS = 10
MAX_SAMPLES = 100_000


@dataclass(frozen=True, eq=False)
class Dataset:
    """A data set split into train, validation and test.

    Shape:
        - `X_*`: `(n, n_inputs)` float32, C-contiguous, standardised with train statistics.
        - `y_*`: classification `(n,)` int64 class indices in `[0, n_classes)`;
          regression `(n, n_outputs)` float32.
    `n_outputs` is the target width for regression, 1 for binary, `n_classes` for multiclass;
    `n_classes` is None for regression.
    """

    name: str
    task: str
    n_inputs: int
    n_outputs: int
    n_classes: int | None
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    description: str = ""
    seed: int = 0
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DatasetInfo:
    """What `DATASETS` knows about a data set without loading it."""

    name: str
    task: str
    description: str
    params: Mapping[str, Any]
    source: str = "synthetic"

    def __str__(self) -> str:
        return self.description


class UnknownDatasetError(ValueError):
    """A data set name that `load_dataset` does not know."""


# --- parameters ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Param:
    kind: type
    minimum: float
    maximum: float
    meaning: str


_PARAMS = {
    "n_samples": _Param(int, 30, MAX_SAMPLES, "number of samples before the split"),
    "noise": _Param(float, 0.0, 10.0, "standard deviation of the added Gaussian noise"),
    "n_classes": _Param(int, 2, 10, "number of classes"),
    "n_features": _Param(int, 1, 100, "number of input features"),
    "n_targets": _Param(int, 1, 10, "number of regression targets"),
    "degree": _Param(int, 1, 6, "degree of the polynomial"),
}


def _check_params(name: str, defaults: Mapping[str, Any], given: Mapping[str, Any]) -> dict:
    """Return `defaults` updated with `given`, each value checked against `_PARAMS`."""
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        accepted = ", ".join(defaults) if defaults else "none (only seed)"
        raise ValueError(f"Unknown parameter(s) for dataset '{name}': {', '.join(unknown)}; "
                         f"it accepts: {accepted}")
    resolved = dict(defaults)
    for key, value in given.items():
        rule = _PARAMS[key]
        bounds = f"between {rule.minimum} and {rule.maximum}"
        if rule.kind is int:
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise ValueError(f"Invalid {key} for dataset '{name}': {value!r}; "
                                 f"use a whole number {bounds} ({rule.meaning})")
            value = int(value)
        else:
            if isinstance(value, bool) or not isinstance(value, numbers.Real) \
                    or not math.isfinite(value):
                raise ValueError(f"Invalid {key} for dataset '{name}': {value!r}; "
                                 f"use a finite number {bounds} ({rule.meaning})")
            value = float(value)
        if not rule.minimum <= value <= rule.maximum:
            raise ValueError(f"Invalid {key} for dataset '{name}': {value!r}; "
                             f"use a value {bounds} ({rule.meaning})")
        resolved[key] = value
    classes = resolved.get("n_classes", 2)
    if "n_samples" in resolved and resolved["n_samples"] < MIN_SAMPLES_PER_CLASS * classes:
        raise ValueError(f"Invalid n_samples for dataset '{name}': {resolved['n_samples']}; "
                         f"use at least {MIN_SAMPLES_PER_CLASS * classes} so that every class "
                         "appears in the train, validation and test splits")
    return resolved


# --- generators: rng and params in, raw (X float64, y) out ---------------------------------


def _class_sizes(n_samples: int, n_classes: int) -> list[int]:
    base, extra = divmod(n_samples, n_classes)
    return [base + (1 if k < extra else 0) for k in range(n_classes)]


def _labels(sizes: list[int]) -> np.ndarray:
    return np.repeat(np.arange(len(sizes)), sizes)


def _linear(rng: np.random.Generator, *, n_samples: int, noise: float, n_features: int,
            n_targets: int) -> tuple[np.ndarray, np.ndarray]:
    X = rng.normal(size=(n_samples, n_features))
    W = rng.uniform(-2.0, 2.0, size=(n_features, n_targets))
    b = rng.uniform(-1.0, 1.0, size=n_targets)
    return X, X @ W + b + noise * rng.normal(size=(n_samples, n_targets))


def _polynomial(rng: np.random.Generator, *, n_samples: int, noise: float,
                degree: int) -> tuple[np.ndarray, np.ndarray]:
    x = rng.uniform(-2.0, 2.0, size=n_samples)
    coefficients = rng.uniform(-1.0, 1.0, size=degree + 1)
    y = np.polynomial.polynomial.polyval(x, coefficients)
    return x[:, None], (y + noise * rng.normal(size=n_samples))[:, None]


def _sine(rng: np.random.Generator, *, n_samples: int,
          noise: float) -> tuple[np.ndarray, np.ndarray]:
    x = rng.uniform(-2.0 * np.pi, 2.0 * np.pi, size=n_samples)
    return x[:, None], (np.sin(x) + noise * rng.normal(size=n_samples))[:, None]


def _blobs(rng: np.random.Generator, *, n_samples: int, noise: float, n_classes: int,
           n_features: int) -> tuple[np.ndarray, np.ndarray]:
    y = _labels(_class_sizes(n_samples, n_classes))
    centers = rng.uniform(-5.0, 5.0, size=(n_classes, n_features))
    return centers[y] + noise * rng.normal(size=(n_samples, n_features)), y


def _moons(rng: np.random.Generator, *, n_samples: int,
           noise: float) -> tuple[np.ndarray, np.ndarray]:
    y = _labels(_class_sizes(n_samples, 2))
    t = rng.uniform(0.0, np.pi, size=n_samples)
    outer = np.column_stack([np.cos(t), np.sin(t)])
    inner = np.column_stack([1.0 - np.cos(t), 0.5 - np.sin(t)])
    X = np.where(y[:, None] == 0, outer, inner)
    return X + noise * rng.normal(size=X.shape), y


def _circles(rng: np.random.Generator, *, n_samples: int,
             noise: float) -> tuple[np.ndarray, np.ndarray]:
    y = _labels(_class_sizes(n_samples, 2))
    t = rng.uniform(0.0, 2.0 * np.pi, size=n_samples)
    radius = np.where(y == 0, 1.0, 0.5)
    X = radius[:, None] * np.column_stack([np.cos(t), np.sin(t)])
    return X + noise * rng.normal(size=X.shape), y


def _xor(rng: np.random.Generator, *, n_samples: int,
         noise: float) -> tuple[np.ndarray, np.ndarray]:
    X = rng.uniform(-1.0, 1.0, size=(n_samples, 2))
    y = ((X[:, 0] > 0) != (X[:, 1] > 0)).astype(np.int64)
    return X + noise * rng.normal(size=X.shape), y


def _spirals(rng: np.random.Generator, *, n_samples: int, noise: float,
             n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    sizes = _class_sizes(n_samples, n_classes)
    # Each arm turns through 4 radians, as in the classic CS231n spirals.
    radius = np.concatenate([np.linspace(0.0, 1.0, size) for size in sizes])
    angle = np.concatenate([np.linspace(4.0 * k, 4.0 * (k + 1), size)
                            for k, size in enumerate(sizes)])
    angle = angle + noise * rng.normal(size=n_samples)
    X = radius[:, None] * np.column_stack([np.sin(angle), np.cos(angle)])
    return X, _labels(sizes)


def _bundled(loader: str) -> Callable[..., tuple[np.ndarray, np.ndarray]]:
    """Return a generator that reads one of scikit-learn's bundled (offline) data sets."""

    def load(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        # Imported here so that `import descent.engine` stays numpy-only.
        from sklearn import datasets as sklearn_datasets

        bunch = getattr(sklearn_datasets, loader)()
        return np.asarray(bunch.data, dtype=np.float64), np.asarray(bunch.target)

    return load


_GENERATORS: dict[str, Callable[..., tuple[np.ndarray, np.ndarray]]] = {
    "linear": _linear,
    "polynomial": _polynomial,
    "sine": _sine,
    "blobs": _blobs,
    "moons": _moons,
    "circles": _circles,
    "xor": _xor,
    "spirals": _spirals,
    "iris": _bundled("load_iris"),
    "wine": _bundled("load_wine"),
    "breast_cancer": _bundled("load_breast_cancer"),
    "digits": _bundled("load_digits"),
    "diabetes": _bundled("load_diabetes"),
}


def _info(name: str, task: str, description: str, source: str = "synthetic",
          **params: Any) -> DatasetInfo:
    return DatasetInfo(name, task, description, MappingProxyType(params), source)


DATASETS: Mapping[str, DatasetInfo] = MappingProxyType({
    info.name: info
    for info in (
        _info("linear", "regression", "y = X·W + b plus Gaussian noise; W, b drawn per seed",
              n_samples=600, noise=0.1, n_features=1, n_targets=1),
        _info("polynomial", "regression",
              "one feature on [-2, 2], y a polynomial with coefficients drawn per seed",
              n_samples=600, noise=0.1, degree=3),
        _info("sine", "regression", "one feature on [-2π, 2π], y = sin(x) plus noise",
              n_samples=600, noise=0.1),
        _info("blobs", "multiclass", "Gaussian clusters, one per class, centres drawn per seed",
              n_samples=600, noise=1.0, n_classes=3, n_features=2),
        _info("moons", "binary", "two interleaving half circles", n_samples=600, noise=0.1),
        _info("circles", "binary", "a small circle inside a large one",
              n_samples=600, noise=0.05),
        _info("xor", "binary", "points in a square; the class is the sign of x₀·x₁ < 0",
              n_samples=600, noise=0.1),
        _info("spirals", "multiclass", "interleaved spiral arms, one per class",
              n_samples=600, noise=0.2, n_classes=3),
        _info("iris", "multiclass", "scikit-learn's iris: 150 flowers, 4 measurements, "
              "3 species", "scikit-learn"),
        _info("wine", "multiclass", "scikit-learn's wine: 178 wines, 13 chemical "
              "measurements, 3 cultivars", "scikit-learn"),
        _info("breast_cancer", "binary", "scikit-learn's breast cancer (Wisconsin): 569 "
              "tumours, 30 features, malignant or benign", "scikit-learn"),
        _info("digits", "multiclass", "scikit-learn's digits: 1797 8x8 images of "
              "handwritten digits, 10 classes", "scikit-learn"),
        _info("diabetes", "regression", "scikit-learn's diabetes: 442 patients, 10 features, "
              "disease progression after one year; y is standardised with the train split's "
              "mean and std", "scikit-learn"),
    )
})


# --- splitting and scaling ----------------------------------------------------------------


def _split_counts(n: int) -> tuple[int, int]:
    n_train = round(n * TRAIN_FRACTION)
    n_val = round(n * VAL_FRACTION)
    return n_train, n_val


def _split(rng: np.random.Generator, y: np.ndarray,
           classes: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return train/val/test index arrays, 60/20/20, stratified by class if `classes`."""
    groups = [np.arange(len(y))] if classes is None else \
        [np.flatnonzero(y == k) for k in range(classes)]
    parts: tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]] = ([], [], [])
    for group in groups:
        order = rng.permutation(group)
        n_train, n_val = _split_counts(len(order))
        parts[0].append(order[:n_train])
        parts[1].append(order[n_train:n_train + n_val])
        parts[2].append(order[n_train + n_val:])
    # Shuffle across classes so that no split is sorted by label.
    train, val, test = (rng.permutation(np.concatenate(part)) for part in parts)
    return train, val, test


def _frozen(array: np.ndarray, dtype: type) -> np.ndarray:
    out = np.ascontiguousarray(array, dtype=dtype)
    out.setflags(write=False)
    return out


def _standardise(train: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    mean = train.mean(axis=0)
    std = train.std(axis=0)
    # A constant feature (digits has blank border pixels) carries no information; leave it 0.
    std = np.where(std > 0, std, 1.0)
    return [(part - mean) / std for part in (train, *others)]


@functools.lru_cache(maxsize=64)
def _load(name: str, seed: int, params: tuple[tuple[str, Any], ...]) -> Dataset:
    info = DATASETS[name]
    rng = np.random.default_rng(seed)
    generator = _GENERATORS[name]
    X, y = generator(rng, **dict(params)) if info.source == "synthetic" else generator(rng)
    if info.task == "regression":
        y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        n_classes = None
    else:
        y = np.asarray(y, dtype=np.int64)
        n_classes = int(y.max()) + 1
    task = info.task if n_classes is None else ("binary" if n_classes == 2 else "multiclass")
    train, val, test = _split(rng, y, n_classes)
    X_train, X_val, X_test = _standardise(X[train], X[val], X[test])
    if n_classes is None:
        y_dtype: type = np.float32
        y_train, y_val, y_test = y[train], y[val], y[test]
        if info.source == "scikit-learn":
            y_train, y_val, y_test = _standardise(y_train, y_val, y_test)
        n_outputs = y.shape[1]
    else:
        y_dtype = np.int64
        y_train, y_val, y_test = y[train], y[val], y[test]
        n_outputs = 1 if n_classes == 2 else n_classes
    return Dataset(
        name=name,
        task=task,
        n_inputs=X.shape[1],
        n_outputs=n_outputs,
        n_classes=n_classes,
        X_train=_frozen(X_train, np.float32),
        y_train=_frozen(y_train, y_dtype),
        X_val=_frozen(X_val, np.float32),
        y_val=_frozen(y_val, y_dtype),
        X_test=_frozen(X_test, np.float32),
        y_test=_frozen(y_test, y_dtype),
        description=info.description,
        seed=seed,
        params=MappingProxyType(dict(params)),
    )


def load_dataset(name: str, *, seed: int = 0, **params: Any) -> Dataset:
    """Load a data set by name, split 60/20/20 and standardised, deterministic for `seed`.

    `params` override the generator's defaults (see `DATASETS[name].params`), e.g.
    `load_dataset("spirals", seed=1, n_classes=4, noise=0.1)`. Raises `UnknownDatasetError`
    for an unknown name and `ValueError` for a bad parameter.
    """
    if name not in DATASETS:
        close = difflib.get_close_matches(str(name), list(DATASETS), n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise UnknownDatasetError(f"Unknown dataset: {name!r}.{hint} "
                                  f"Available: {', '.join(DATASETS)}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"Invalid seed: {seed!r}; use a whole number ≥ 0")
    resolved = _check_params(name, DATASETS[name].params, params)
    return _load(name, int(seed), tuple(sorted(resolved.items())))


DATASET_SPLITS = ("X_train", "y_train", "X_val", "y_val", "X_test", "y_test")


def dataset_hash(data: Dataset) -> str:
    """Return the sha256 hex digest of a data set's six arrays: dtype, shape and bytes each.

    Two loads that give the same arrays, bit for bit, share a hash, whatever the name, seed
    or parameters said; a generator that changed (another numpy, another scikit-learn
    bundle) changes it. A run records it, so a re-training can tell "other data" from "other
    arithmetic".
    """
    digest = hashlib.sha256()
    for name in DATASET_SPLITS:
        array = np.ascontiguousarray(getattr(data, name))
        digest.update(f"{name}:{array.dtype.str}:{array.shape};".encode("ascii"))
        digest.update(array.tobytes())
    return digest.hexdigest()
