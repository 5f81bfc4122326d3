"""Data sets: shapes, dtypes, determinism, splits, scaling and read-only arrays."""

import numpy as np
import pytest

from descent.engine.datasets import DATASETS, Dataset, UnknownDatasetError, load_dataset

SYNTHETIC = [name for name, info in DATASETS.items() if info.source == "synthetic"]
REAL = [name for name, info in DATASETS.items() if info.source == "scikit-learn"]
SPLITS = ("train", "val", "test")

# name -> (task, n_inputs, n_outputs, n_classes, n_samples)
SHAPES = {
    "linear": ("regression", 1, 1, None, 600),
    "polynomial": ("regression", 1, 1, None, 600),
    "sine": ("regression", 1, 1, None, 600),
    "blobs": ("multiclass", 2, 3, 3, 600),
    "moons": ("binary", 2, 1, 2, 600),
    "circles": ("binary", 2, 1, 2, 600),
    "xor": ("binary", 2, 1, 2, 600),
    "spirals": ("multiclass", 2, 3, 3, 600),
    "iris": ("multiclass", 4, 3, 3, 150),
    "wine": ("multiclass", 13, 3, 3, 178),
    "breast_cancer": ("binary", 30, 1, 2, 569),
    "digits": ("multiclass", 64, 10, 10, 1797),
    "diabetes": ("regression", 10, 1, None, 442),
}


def arrays(data):
    return [getattr(data, f"{kind}_{split}") for split in SPLITS for kind in ("X", "y")]


def test_every_dataset_is_listed_with_a_task_and_description():
    assert set(DATASETS) == set(SHAPES)
    for name, info in DATASETS.items():
        assert info.task == SHAPES[name][0]
        assert info.description
        assert str(info) == info.description


@pytest.mark.parametrize("name", list(SHAPES))
def test_shapes_and_dtypes(name):
    task, n_inputs, n_outputs, n_classes, n_samples = SHAPES[name]
    data = load_dataset(name)
    assert isinstance(data, Dataset)
    assert (data.name, data.task, data.n_inputs, data.n_outputs, data.n_classes) == (
        name, task, n_inputs, n_outputs, n_classes)
    sizes = [len(getattr(data, f"X_{split}")) for split in SPLITS]
    assert sum(sizes) == n_samples
    assert abs(sizes[0] - 0.6 * n_samples) <= (n_classes or 1)
    assert abs(sizes[1] - 0.2 * n_samples) <= (n_classes or 1)
    for split in SPLITS:
        X, y = getattr(data, f"X_{split}"), getattr(data, f"y_{split}")
        assert X.dtype == np.float32
        assert X.shape == (len(X), n_inputs)
        assert X.flags.c_contiguous
        assert len(y) == len(X)
        assert np.isfinite(X).all()
        if n_classes is None:
            assert y.dtype == np.float32
            assert y.shape == (len(X), n_outputs)
            assert y.flags.c_contiguous
        else:
            assert y.dtype == np.int64
            assert y.shape == (len(X),)
            assert set(np.unique(y)) == set(range(n_classes))


@pytest.mark.parametrize("name", list(SHAPES))
def test_same_seed_gives_identical_arrays(name):
    first, second = load_dataset(name, seed=3), load_dataset(name, seed=3)
    for a, b in zip(arrays(first), arrays(second), strict=True):
        assert np.array_equal(a, b)


def test_same_seed_is_deterministic_without_the_cache():
    from descent.engine import datasets

    first = load_dataset("spirals", seed=5)
    datasets._load.cache_clear()
    second = load_dataset("spirals", seed=5)
    assert first is not second
    for a, b in zip(arrays(first), arrays(second), strict=True):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("name", list(SHAPES))
def test_different_seeds_differ(name):
    first, second = load_dataset(name, seed=0), load_dataset(name, seed=1)
    assert not np.array_equal(first.X_train, second.X_train)


@pytest.mark.parametrize("name", list(SHAPES))
def test_x_is_standardised_on_the_train_split_only(name):
    data = load_dataset(name)
    mean, std = data.X_train.mean(axis=0), data.X_train.std(axis=0)
    assert np.allclose(mean, 0.0, atol=1e-5)
    # Constant features (digits' blank pixels) stay at 0 instead of being divided by 0.
    assert np.all(np.isclose(std, 1.0, atol=1e-4) | np.isclose(std, 0.0))
    # Had the validation split taken part in the fit, its mean would be 0 too.
    assert not np.allclose(data.X_val.mean(axis=0), 0.0, atol=1e-6)


def test_diabetes_targets_are_standardised_on_train():
    data = load_dataset("diabetes")
    assert abs(float(data.y_train.mean())) < 1e-5
    assert abs(float(data.y_train.std()) - 1.0) < 1e-4
    assert abs(float(data.y_val.mean())) > 1e-6
    assert "standardised" in data.description


@pytest.mark.parametrize("name", [n for n, shape in SHAPES.items() if shape[3]])
def test_classification_splits_are_stratified(name):
    data = load_dataset(name)
    overall = np.bincount(np.concatenate([data.y_train, data.y_val, data.y_test]))
    for split in SPLITS:
        y = getattr(data, f"y_{split}")
        expected = overall * len(y) / overall.sum()
        assert np.all(np.abs(np.bincount(y, minlength=len(overall)) - expected) <= 1.5)


def test_splits_are_not_sorted_by_label():
    data = load_dataset("spirals")
    assert not np.all(np.diff(data.y_train) >= 0)


def test_splits_do_not_share_samples():
    data = load_dataset("iris")
    rows = {tuple(row) for split in SPLITS for row in getattr(data, f"X_{split}")}
    # iris has one duplicated flower; every other sample is in exactly one split.
    assert len(rows) >= 149


@pytest.mark.parametrize("name", ["spirals", "diabetes"])
def test_arrays_are_read_only(name):
    data = load_dataset(name)
    for array in arrays(data):
        assert not array.flags.writeable
        with pytest.raises(ValueError):
            array[0] = 0
    with pytest.raises(AttributeError):
        data.X_train = None


def test_params_change_the_data_and_are_recorded():
    data = load_dataset("spirals", n_classes=4, n_samples=400, noise=0.0)
    assert data.n_classes == data.n_outputs == 4
    assert data.task == "multiclass"
    assert sum(len(getattr(data, f"X_{split}")) for split in SPLITS) == 400
    assert data.params == {"n_samples": 400, "noise": 0.0, "n_classes": 4}


def test_two_blobs_are_a_binary_task():
    data = load_dataset("blobs", n_classes=2)
    assert (data.task, data.n_outputs, data.n_classes) == ("binary", 1, 2)


def test_linear_can_have_several_features_and_targets():
    data = load_dataset("linear", n_features=3, n_targets=2)
    assert data.X_train.shape[1] == 3
    assert data.y_train.shape[1] == data.n_outputs == 2


def test_unknown_dataset_names_the_choices():
    with pytest.raises(UnknownDatasetError, match="Did you mean 'spirals'") as caught:
        load_dataset("spiral")
    assert "moons" in str(caught.value)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("name", "params", "match"),
    [
        ("moons", {"n_classes": 3}, "Unknown parameter"),
        ("iris", {"noise": 0.1}, "Unknown parameter"),
        ("spirals", {"n_classes": 1}, "n_classes"),
        ("spirals", {"n_classes": 11}, "n_classes"),
        ("spirals", {"n_samples": 5}, "n_samples"),
        ("spirals", {"n_samples": 2.5}, "n_samples"),
        ("spirals", {"n_samples": True}, "n_samples"),
        ("sine", {"noise": -1}, "noise"),
        ("sine", {"noise": float("nan")}, "noise"),
        ("sine", {"noise": "low"}, "noise"),
        ("blobs", {"n_samples": 40, "n_classes": 10}, "every class"),
    ],
)
def test_bad_params_raise_clear_value_errors(name, params, match):
    with pytest.raises(ValueError, match=match):
        load_dataset(name, **params)


@pytest.mark.parametrize("seed", [-1, 1.5, True])
def test_bad_seed_raises_value_error(seed):
    with pytest.raises(ValueError, match="seed"):
        load_dataset("moons", seed=seed)
