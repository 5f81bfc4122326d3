"""The terrain: a 2-D slice of the loss surface around a run's weights, and its path on it.

A slice is the loss at `origin + a·d₁ + b·d₂` on an n×n grid of (a, b), for two directions
d₁, d₂ in parameter space (Li et al. 2018, "Visualizing the Loss Landscape of Neural Nets"):

- `random_directions`: filter-normalised random directions. Each is drawn from a standard
  normal, then every filter (in a dense layer: one unit's incoming weights, a column of W)
  is scaled to the norm of the same filter in the weights, so that a step of 1 changes every
  unit by as much as its own size, whatever the layer's scale. Bias entries are zero (the
  biases are not perturbed), as in the paper's code for biases.
- `pca_directions`: the top two principal directions of the weight trajectory around the
  origin (unit vectors); a run's path lies mostly in their plane, so its projection is
  faithful (`explained_variance` says how faithful). Random directions in a space of
  thousands of dimensions are almost orthogonal to any path, so use these to draw paths.

`project_path` gives a trajectory's coordinates in a slice. Cost: a slice evaluates the loss
at n² points on `rows` rows each, `surface_forward_passes(n, rows) = n²·rows` rows of
forward pass (e.g. 25² × 360 = 225 000 for spirals' training split); `max_forward_passes`
bounds it by evaluating fewer rows.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from descent.engine.model import Model, build_model
from descent.engine.serialise import finite_or_none, json_array
from descent.engine.trajectory import Trajectory

DEFAULT_SIZE = 25
# Slices around several paths reach this far beyond the paths' extent, as a share of it.
DEFAULT_MARGIN = 0.25
# Significant figures of the loss values in `Surface.to_dict`.
LOSS_DIGITS = 6

# (a_min, a_max, b_min, b_max)
Span = tuple[float, float, float, float]


@dataclass(frozen=True)
class Directions:
    """Two directions in parameter space, in the model's flat layout.

    Shape: `vectors` (2, n_parameters), float64. `explained_variance` (PCA only) is the share
    of the trajectory's variance around the origin along each direction.
    """

    kind: str  # "random" (filter-normalised) or "pca"
    vectors: np.ndarray
    explained_variance: tuple[float, float] | None = None


@dataclass
class Surface:
    """A slice of the loss surface, and the paths drawn on it.

    Shape:
        - `alphas` (n,), `betas` (n,): the grid's coordinates along d₁ and d₂, ascending.
        - `loss` (n, n): `loss[i, j]` at `origin + alphas[j]·d₁ + betas[i]·d₂` (rows go
          along d₂, like a picture's y); NaN where the loss overflowed.
        - `paths[r]` (m_r, 2): run r's snapshots in (a, b), at epochs `path_epochs[r]`.
    """

    alphas: np.ndarray
    betas: np.ndarray
    loss: np.ndarray
    directions: Directions
    rows: int
    forward_passes: int
    split: str = "train"
    paths: list[np.ndarray] = field(default_factory=list)
    path_epochs: list[list[int]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Return the slice as strict JSON: losses to 6 significant figures, null if NaN/inf."""
        loss = [[_rounded(value) for value in row] for row in self.loss.tolist()]
        return {
            "directions": self.directions.kind,
            "explained_variance": (
                list(self.directions.explained_variance)
                if self.directions.explained_variance is not None
                else None
            ),
            "alphas": json_array(self.alphas),
            "betas": json_array(self.betas),
            "loss": loss,
            "split": self.split,
            "rows": self.rows,
            "forward_passes": self.forward_passes,
            "paths": [
                {"epochs": list(epochs), "points": json_array(points)}
                for points, epochs in zip(self.paths, self.path_epochs, strict=True)
            ],
        }


def random_directions(model: Model, *, seed: int = 0) -> Directions:
    """Return two filter-normalised random directions around `model.params`.

    For each dense layer and each unit j, the direction's column `d[:, j]` of W is scaled to
    `‖W[:, j]‖`; a zero column stays zero. Bias entries are 0.
    """
    rng = np.random.default_rng(seed)
    vectors = np.zeros((2, model.n_parameters))
    for row in vectors:
        for layer, (weights, _) in zip(model.layers, model.layer_slices, strict=True):
            W = np.asarray(layer.W, dtype=np.float64)
            direction = rng.normal(size=W.shape)
            norms = np.linalg.norm(direction, axis=0)
            direction *= np.linalg.norm(W, axis=0) / np.where(norms > 0, norms, 1.0)
            row[weights] = direction.reshape(-1)
    return Directions("random", vectors)


def pca_directions(trajectory: np.ndarray, origin: np.ndarray, *, seed: int = 0) -> Directions:
    """Return the top two principal directions of `trajectory` around `origin` (unit vectors).

    Shape: trajectory (m, n_parameters), origin (n_parameters,). Rows that are not finite
    are left out. d₁ is oriented so the first snapshot has a ≤ 0, d₂ so it has b ≤ 0. If the
    snapshots span a single direction, d₂ is a random unit vector orthogonal to d₁ (`seed`).
    """
    origin = np.asarray(origin, dtype=np.float64)
    offsets = np.asarray(trajectory, dtype=np.float64) - origin
    offsets = offsets[np.isfinite(offsets).all(axis=1)]
    if len(offsets) == 0:
        raise ValueError("pca_directions needs at least one finite snapshot")
    _, singular, components = np.linalg.svd(offsets, full_matrices=False)
    if not singular[0] > 0:
        raise ValueError("pca_directions: every snapshot equals the origin; the run never moved")
    first = components[0]
    has_second = len(singular) > 1 and singular[1] > singular[0] * 1e-9
    if has_second:
        second = components[1]
    else:
        second = np.random.default_rng(seed).normal(size=first.shape)
        second -= np.dot(second, first) * first
        second /= np.linalg.norm(second)
    start = offsets[0]
    if np.dot(start, first) > 0:
        first = -first
    if np.dot(start, second) > 0:
        second = -second
    variance = singular**2
    share = variance / variance.sum()
    explained = (float(share[0]), float(share[1]) if has_second else 0.0)
    return Directions("pca", np.stack([first, second]), explained)


def project_path(
    trajectory: np.ndarray, origin: np.ndarray, directions: Directions | np.ndarray
) -> np.ndarray:
    """Return each snapshot's coordinates (a, b) in the plane of `directions` through `origin`.

    Shape: trajectory (m, n_parameters) → (m, 2). The least-squares (a, b) of
    `snapshot − origin ≈ a·d₁ + b·d₂`, exact for points in the plane even when d₁ and d₂ are
    not orthogonal (random directions); non-finite snapshots give NaN.
    """
    vectors = directions.vectors if isinstance(directions, Directions) else directions
    vectors = np.asarray(vectors, dtype=np.float64)
    offsets = np.atleast_2d(np.asarray(trajectory, dtype=np.float64)) - origin
    gram = vectors @ vectors.T
    with np.errstate(all="ignore"):
        return np.linalg.solve(gram, vectors @ offsets.T).T


def surface_forward_passes(n: int, rows: int) -> int:
    """Return the rows of forward pass a slice of n×n points on `rows` rows each costs."""
    return n * n * rows


def loss_surface(
    spec: dict[str, Any],
    data: Any,
    params: np.ndarray,
    directions: Directions,
    n: int = DEFAULT_SIZE,
    span: float | Span = 1.0,
    *,
    split: str = "train",
    rows: int | None = None,
    max_forward_passes: int | None = None,
) -> Surface:
    """Return the loss on an n×n grid of `params + a·d₁ + b·d₂`.

    `span` is the half-width of a square grid centred on `params` (a, b in [−span, span]), or
    `(a_min, a_max, b_min, b_max)`. The loss is what the optimizer descends: the mean data
    loss on the first `rows` rows of `split` ("train" or "val"; all of it by default) plus the
    spec's L2 penalty, in the spec's dtype. `max_forward_passes` caps n²·rows by using fewer
    rows. An odd n puts a grid point exactly on `params`, where the value is the model's loss.
    """
    if not (isinstance(n, int) and n >= 2):
        raise ValueError(f"Invalid surface size: {n!r}; use an int ≥ 2, e.g. 25")
    X, y = _split(data, split)
    rows = _rows(len(X), n, rows, max_forward_passes)
    model = build_model(spec, data.n_inputs, seed=spec["seed"])
    X = np.ascontiguousarray(X[:rows], dtype=model.dtype)
    targets = model.prepare_targets(y[:rows])
    alphas, betas = _axes(span, n)
    origin = np.asarray(params, dtype=np.float64)
    d1, d2 = np.asarray(directions.vectors, dtype=np.float64)
    l2 = float(spec.get("l2") or 0.0)
    loss = np.empty((n, n))
    with np.errstate(all="ignore"):
        for i, b in enumerate(betas):
            row_origin = origin + b * d2
            for j, a in enumerate(alphas):
                np.copyto(model.params, row_origin + a * d1, casting="unsafe")
                loss[i, j] = model.mean_loss(X, targets) + (model.penalty(l2) if l2 else 0.0)
    loss[~np.isfinite(loss)] = np.nan
    return Surface(
        alphas=alphas,
        betas=betas,
        loss=loss,
        directions=directions,
        rows=rows,
        forward_passes=surface_forward_passes(n, rows),
        split=split,
    )


def shared_surface(
    spec: dict[str, Any],
    data: Any,
    trajectories: Sequence[Trajectory | np.ndarray],
    *,
    diverged: Sequence[bool] | None = None,
    origin: np.ndarray | None = None,
    n: int = DEFAULT_SIZE,
    margin: float = DEFAULT_MARGIN,
    split: str = "train",
    rows: int | None = None,
    max_forward_passes: int | None = None,
) -> Surface:
    """Return one slice with every run's path on it: runs of one architecture and loss.

    For the lab's three learning rates (same spec but the rate, so same start), or one run.
    The directions are the PCA of the snapshots of the runs that did not diverge (of all runs
    if every one did), around `origin`: by default the last snapshot, among those runs, with
    the lowest loss. The grid spans those runs' paths and the origin, widened by `margin` of
    the extent; a diverged run's path may leave it (the page marks where it exits).
    """
    snapshots = [_snapshots(trajectory) for trajectory in trajectories]
    if not snapshots:
        raise ValueError("shared_surface needs at least one trajectory")
    flags = list(diverged) if diverged is not None else [False] * len(snapshots)
    if len(flags) != len(snapshots):
        raise ValueError(f"diverged has {len(flags)} flags for {len(snapshots)} trajectories")
    fitted = [params for (params, _), bad in zip(snapshots, flags, strict=True) if not bad]
    fitted = [params[np.isfinite(params).all(axis=1)] for params in fitted or
              [params for params, _ in snapshots]]
    fitted = [params for params in fitted if len(params)]
    if not fitted:
        raise ValueError("shared_surface needs at least one finite snapshot")
    if origin is None:
        origin = _best_final_snapshot(spec, data, fitted, split)
    directions = pca_directions(np.concatenate(fitted), origin)
    paths = [project_path(params, origin, directions) for params, _ in snapshots]
    inside = np.concatenate([project_path(params, origin, directions) for params in fitted])
    span = _span_around(inside, margin)
    surface = loss_surface(spec, data, origin, directions, n, span, split=split, rows=rows,
                           max_forward_passes=max_forward_passes)
    surface.paths = paths
    surface.path_epochs = [epochs for _, epochs in snapshots]
    return surface


def _snapshots(trajectory: Trajectory | np.ndarray) -> tuple[np.ndarray, list[int]]:
    """Return a trajectory's (m, n_parameters) snapshots and their epochs (0, 1, ... if bare)."""
    if isinstance(trajectory, Trajectory):
        return trajectory.params, trajectory.epochs
    params = np.atleast_2d(np.asarray(trajectory))
    return params, list(range(len(params)))


def _best_final_snapshot(
    spec: dict[str, Any], data: Any, fitted: list[np.ndarray], split: str
) -> np.ndarray:
    """Return the last snapshot with the lowest loss among the runs' last snapshots."""
    if len(fitted) == 1:
        return fitted[0][-1]
    X, y = _split(data, split)
    model = build_model(spec, data.n_inputs, seed=spec["seed"])
    X = np.ascontiguousarray(X, dtype=model.dtype)
    targets = model.prepare_targets(y)
    losses = []
    with np.errstate(all="ignore"):
        for params in fitted:
            np.copyto(model.params, params[-1], casting="unsafe")
            value = model.mean_loss(X, targets)
            losses.append(value if np.isfinite(value) else np.inf)
    return fitted[int(np.argmin(losses))][-1]


def _span_around(points: np.ndarray, margin: float) -> Span:
    """Return the box around `points` (m, 2) and (0, 0), widened by `margin` of its size."""
    points = points[np.isfinite(points).all(axis=1)]
    low = np.minimum(points.min(axis=0), 0.0) if len(points) else np.zeros(2)
    high = np.maximum(points.max(axis=0), 0.0) if len(points) else np.zeros(2)
    size = high - low
    size = np.where(size > 0, size, max(float(size.max()), 1.0))
    low, high = low - margin * size, high + margin * size
    return (float(low[0]), float(high[0]), float(low[1]), float(high[1]))


def _axes(span: float | Span, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the grid's a and b coordinates, (n,) each."""
    if isinstance(span, int | float):
        if not span > 0:
            raise ValueError(f"Invalid span: {span}; use a number > 0, e.g. 1.0")
        a_min, a_max, b_min, b_max = -span, span, -span, span
    else:
        a_min, a_max, b_min, b_max = (float(value) for value in span)
        if not (a_max > a_min and b_max > b_min):
            raise ValueError(f"Invalid span: {span}; need a_min < a_max and b_min < b_max")
    return np.linspace(a_min, a_max, n), np.linspace(b_min, b_max, n)


def _split(data: Any, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Return the inputs and labels of a split of `data`."""
    if split == "train":
        return data.X_train, data.y_train
    if split == "val":
        return data.X_val, data.y_val
    raise ValueError(f"Invalid split: {split!r}; use 'train' or 'val'")


def _rows(available: int, n: int, rows: int | None, max_forward_passes: int | None) -> int:
    """Return how many rows each grid point evaluates."""
    chosen = available if rows is None else min(int(rows), available)
    if max_forward_passes is not None:
        chosen = min(chosen, max_forward_passes // (n * n))
    if chosen < 1:
        raise ValueError(
            f"A {n}×{n} surface needs at least {n * n} forward passes (one row per point); "
            f"max_forward_passes is {max_forward_passes} and rows {rows}"
        )
    return chosen


def _rounded(value: float) -> float | None:
    """Return a finite loss to `LOSS_DIGITS` significant figures, else None."""
    number = finite_or_none(value)
    return float(f"{number:.{LOSS_DIGITS}g}") if number is not None else None
