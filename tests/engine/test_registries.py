"""The registries agree: every name the spec accepts is implemented, costed and described.

Each table (optimizers, activations, losses, schedules, initializers, metrics, dtypes) is the
one source for its names; these tests fail when a row is missing something another part of
the engine needs, or when a module starts keeping its own copy of the names.
"""

import ast
import inspect
from pathlib import Path

import numpy as np
import pytest

from descent.engine import (
    activations,
    budget,
    hyperparameters,
    initializers,
    losses,
    metrics,
    model,
    optimizers,
    schedules,
    spec,
)
from descent.engine.datasets import Dataset
from descent.engine.layers import Dense
from descent.engine.tasks import TASKS
from descent.engine.training import train

ENGINE = Path(spec.__file__).parent
SIZE = 7  # parameters of a throwaway optimizer


def all_rules():
    """Yield (where, key, rule) for every hyperparameter rule in every table and the spec."""
    for name, info in optimizers.OPTIMIZERS.items():
        for key, rule in info.hyperparameters.items():
            yield f"optimizer {name}", key, rule
    for name, schedule in schedules.SCHEDULES.items():
        for key, rule in schedule.hyperparameters.items():
            yield f"schedule {name}", key, rule
    yield "optimizer", "learning_rate", optimizers.LEARNING_RATE
    yield "schedule", "warmup_epochs", schedules.WARMUP_EPOCHS
    for key in ("UNITS", "EPOCHS", "BATCH_SIZE", "SEED", "PATIENCE", "DROPOUT", "L2",
                "GRADIENT_CLIP", "MIN_DELTA"):
        yield "spec", key, getattr(spec, key)


def last_layer_for(loss_name: str, width: int = 3) -> dict:
    """Return the last layer a loss's row asks for."""
    rule = losses.LOSSES[loss_name]
    units = {losses.ONE: 1, losses.ONE_PER_CLASS: width, losses.ONE_PER_TARGET: width}
    return {"units": units[rule.output_units], "activation": rule.fused_with or "tanh"}


def document(loss="mse", optimizer="sgd", schedule="constant", activation="relu", **extra):
    """Return a small valid raw spec built from the tables' rows."""
    return {
        "layers": [{"units": 4, "activation": activation}, last_layer_for(loss)],
        "loss": loss,
        "optimizer": {"name": optimizer, "learning_rate": 0.01},
        "schedule": {"name": schedule},
        "epochs": 3,
        **extra,
    }


def tiny_data(loss_name: str, task: str) -> Dataset:
    """Return 24 rows of 3 inputs whose labels fit `loss_name` on `task`."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(24, 3)).astype(np.float32)
    if task == "regression":
        y = rng.normal(size=(24, 3)).astype(np.float32)
        n_outputs, n_classes = 3, None
    else:
        n_classes = 2 if task == "binary" else 3
        y = (np.arange(24) % n_classes).astype(np.int64)
        n_outputs = 1 if task == "binary" else n_classes
    return Dataset(name="tiny", task=task, n_inputs=3, n_outputs=n_outputs, n_classes=n_classes,
                   X_train=X[:16], y_train=y[:16], X_val=X[16:20], y_val=y[16:20],
                   X_test=X[20:], y_test=y[20:])


# --- the spec's names are the tables' names ---------------------------------------------------


def test_the_spec_lists_exactly_the_implemented_names():
    assert spec.ACTIVATIONS == tuple(activations.ACTIVATIONS)
    assert spec.INITIALIZERS == tuple(initializers.INITIALIZERS)
    assert spec.LOSSES == tuple(losses.LOSSES)
    assert spec.DTYPES == tuple(model.DTYPES)
    assert list(spec.OPTIMIZERS) == list(optimizers.OPTIMIZERS)
    assert list(spec.SCHEDULES) == list(schedules.SCHEDULES)


def registry_names() -> set[str]:
    return (set(activations.ACTIVATIONS) | set(initializers.INITIALIZERS) | set(losses.LOSSES)
            | set(optimizers.OPTIMIZERS) | set(schedules.SCHEDULES) | set(metrics.METRICS)
            | set(model.DTYPES))


# The few names these modules may write out, and why.
ALLOWED_LITERALS = {
    "spec.py": {"glorot_uniform", "float32", "constant"},  # the documented defaults
    "budget.py": set(),
    "model.py": {"float32", "float64", "linear"},  # the DTYPES table; a fused layer's identity
}


@pytest.mark.parametrize("module", sorted(ALLOWED_LITERALS))
def test_spec_budget_and_model_keep_no_copy_of_a_registry(module):
    tree = ast.parse((ENGINE / module).read_text())
    literals = {node.value for node in ast.walk(tree)
                if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    assert literals & registry_names() <= ALLOWED_LITERALS[module]


# --- optimizers -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(optimizers.OPTIMIZERS))
def test_every_optimizer_is_built_costed_and_defaulted(name):
    info = optimizers.OPTIMIZERS[name]
    normalised = spec.parse_spec(document(optimizer=name))
    assert set(normalised["optimizer"]) == {"name", "learning_rate", *info.hyperparameters}
    assert {k: normalised["optimizer"][k] for k in info.hyperparameters} == info.defaults()
    if info.full_batch:
        assert normalised["batch_size"] == "full"
    optimizer = optimizers.make_optimizer(normalised["optimizer"], SIZE, np.dtype(np.float64))
    assert isinstance(optimizer, info.update)
    # The budget's figure is the arrays the optimizer really keeps between steps.
    state = [value for key, value in vars(optimizer).items()
             if isinstance(value, np.ndarray) and value.shape == (SIZE,) and key != "scratch"]
    assert len(state) == info.state_arrays
    estimate = budget.estimate_budget(normalised, n_inputs=3, n_train=10)
    sgd = budget.estimate_budget(document(), n_inputs=3, n_train=10)
    assert estimate.peak_memory_bytes - sgd.peak_memory_bytes == (
        info.state_arrays * estimate.parameters * 4)


@pytest.mark.parametrize("name", list(optimizers.OPTIMIZERS))
def test_every_optimizer_reads_each_of_its_hyperparameters(name):
    info = optimizers.OPTIMIZERS[name]
    settings = {"name": name, "learning_rate": 0.1, **info.defaults()}
    for key in info.hyperparameters:
        with pytest.raises(KeyError):
            info({k: v for k, v in settings.items() if k != key}, SIZE, np.dtype(np.float64))


# --- activations ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(activations.ACTIVATIONS))
def test_every_activation_has_forward_backward_and_an_honest_needs_input(name):
    activation = activations.ACTIVATIONS[name]
    rng = np.random.default_rng(1)
    Z = rng.normal(size=(5, 4))
    A = activation.forward(Z.copy())
    dA = rng.normal(size=(5, 4))
    with_input = activation.backward(dA.copy(), A, Z.copy())
    assert with_input.shape == Z.shape
    if not activation.needs_input:
        # It claims not to need Z, so the layer keeps none and the budget counts none.
        np.testing.assert_array_equal(activation.backward(dA.copy(), A, None), with_input)
    layer = Dense(np.ones((3, 4)), np.zeros(4), np.zeros((3, 4)), np.zeros(4), name)
    layer.forward(rng.normal(size=(5, 3)))
    assert (layer.Z is not None) == activation.needs_input


def test_the_budget_counts_the_input_a_gelu_layer_keeps():
    relu = budget.estimate_budget(document(activation="relu"), n_inputs=3, n_train=100)
    gelu = budget.estimate_budget(document(activation="gelu"), n_inputs=3, n_train=100)
    # One more (batch 32, units 4) float32 array: the copy of Z gelu's derivative reads.
    assert gelu.peak_memory_bytes - relu.peak_memory_bytes == 32 * 4 * 4


@pytest.mark.parametrize("name", [n for n, a in activations.ACTIVATIONS.items() if a.output_only])
def test_every_output_only_activation_has_a_loss_that_fuses_it(name):
    assert any(loss.fused_with == name for loss in losses.LOSSES.values())
    hidden = {**document(), "layers": [{"units": 3, "activation": name}, last_layer_for("mse")]}
    with pytest.raises(spec.SpecError) as caught:
        spec.parse_spec(hidden)
    assert "layers[0].activation" in caught.value.errors


# --- losses ---------------------------------------------------------------------------------


@pytest.mark.parametrize("loss", list(losses.LOSSES))
@pytest.mark.parametrize("activation", list(activations.ACTIVATIONS))
def test_every_loss_accepts_exactly_the_last_layers_its_row_allows(loss, activation):
    rule = losses.LOSSES[loss]
    layer = {**last_layer_for(loss), "activation": activation}
    allowed = (activation == rule.fused_with if rule.fused_with
               else not activations.ACTIVATIONS[activation].output_only)
    raw = {**document(loss=loss), "layers": [{"units": 4, "activation": "relu"}, layer]}
    if allowed:
        spec.parse_spec(raw)
    else:
        with pytest.raises(spec.SpecError):
            spec.parse_spec(raw)


@pytest.mark.parametrize("loss", list(losses.LOSSES))
def test_every_loss_trains_on_each_task_its_row_names(loss):
    rule = losses.LOSSES[loss]
    assert rule.output_units in (losses.ONE, losses.ONE_PER_CLASS, losses.ONE_PER_TARGET)
    assert rule.tasks and set(rule.tasks) <= set(TASKS)
    assert rule.fused_with is None or rule.fused_with in activations.ACTIVATIONS
    for task in TASKS:
        data = tiny_data(loss, task)
        per_class = rule.output_units == losses.ONE_PER_CLASS
        width = (data.n_classes or 3) if per_class else data.n_outputs
        raw = {**document(loss=loss), "layers": [{"units": 4, "activation": "relu"},
                                                 {**last_layer_for(loss, width)}]}
        fits = dict(task=data.task, n_inputs=3, n_outputs=data.n_outputs,
                    n_classes=data.n_classes, dataset_name="tiny")
        if task not in rule.tasks:
            with pytest.raises(spec.SpecError) as caught:
                spec.validate_for_data(raw, **fits)
            assert "loss" in caught.value.errors
            continue
        normalised = spec.validate_for_data(raw, **fits)
        result = train(normalised, data)
        assert result.status == "succeeded"
        assert np.isfinite(result.history[-1]["train_loss"])


# --- schedules, initializers, dtypes --------------------------------------------------------


@pytest.mark.parametrize("name", list(schedules.SCHEDULES))
def test_every_schedule_takes_its_hyperparameters_with_defaults_and_warmup(name):
    schedule = schedules.SCHEDULES[name]
    normalised = spec.parse_spec(document(schedule=name))
    assert normalised["schedule"] == {"name": name, **schedule.defaults(), "warmup_epochs": 0}
    rates = [schedules.learning_rate_at(normalised, epoch) for epoch in range(1, 4)]
    assert all(np.isfinite(rate) and rate >= 0 for rate in rates)


@pytest.mark.parametrize("name", list(initializers.INITIALIZERS))
def test_every_initializer_draws_a_float64_weight_matrix(name):
    W = initializers.INITIALIZERS[name](np.random.default_rng(0), 3, 5)
    assert W.shape == (3, 5) and W.dtype == np.float64


@pytest.mark.parametrize("name", list(model.DTYPES))
def test_every_dtype_builds_a_model_and_is_costed_by_its_size(name):
    normalised = spec.parse_spec(document(dtype=name))
    assert model.build_model(normalised, 3, seed=0).dtype == np.dtype(model.DTYPES[name])
    float32 = budget.estimate_budget(document(dtype="float32"), n_inputs=3, n_train=10)
    estimate = budget.estimate_budget(normalised, n_inputs=3, n_train=10)
    assert estimate.peak_memory_bytes * 4 == (
        float32.peak_memory_bytes * np.dtype(model.DTYPES[name]).itemsize)


# --- metrics --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(metrics.METRICS))
def test_every_metric_has_a_direction_tasks_and_scores_them(name):
    metric = metrics.METRICS[name]
    assert isinstance(metric.higher_is_better, bool)
    assert metrics.metric_higher_is_better(name) is metric.higher_is_better
    assert metric.tasks and set(metric.tasks) <= set(TASKS)
    for task in metric.tasks:
        assert name in metrics.metrics_for_task(task)
        data = tiny_data("mse" if task == "regression" else "cross_entropy", task)
        n_out = data.n_outputs
        predictions = np.full((len(data.y_val), n_out), 1.0 / max(n_out, 2))
        assert np.isfinite(metric(data.y_val, predictions, task))


def test_better_scores_sort_the_way_each_metric_says():
    y = np.array([0, 1, 1, 0])
    good = np.array([[0.9, 0.1], [0.2, 0.8], [0.1, 0.9], [0.7, 0.3]])
    bad = good[:, ::-1]
    for name in metrics.metrics_for_task("multiclass"):
        better = metrics.METRICS[name](y, good, "multiclass")
        worse = metrics.METRICS[name](y, bad, "multiclass")
        assert (better > worse) == metrics.metric_higher_is_better(name), name


def test_every_task_has_a_default_metric_that_fits_it():
    assert set(metrics.DEFAULT_METRICS) == set(TASKS)
    for task in TASKS:
        assert metrics.default_metric(task) in metrics.metrics_for_task(task)


def test_an_unknown_metric_or_task_is_a_value_error_naming_it():
    with pytest.raises(ValueError, match="'f1'"):
        metrics.metric_higher_is_better("f1")
    with pytest.raises(ValueError, match="'ranking'"):
        metrics.metrics_for_task("ranking")


# --- the rules for numbers ------------------------------------------------------------------


@pytest.mark.parametrize(("where", "key", "rule"), list(all_rules()),
                         ids=lambda value: value if isinstance(value, str) else "")
def test_every_rule_accepts_its_own_default_and_example(where, key, rule):
    assert rule.label and rule.rule()
    assert rule.contains(rule.example), (where, key)
    if rule.default is not None:
        assert rule.contains(rule.default), (where, key)
        assert isinstance(rule.default, int if isinstance(rule, hyperparameters.Whole) else float)


def test_every_whole_number_rule_has_a_ceiling_so_a_parsed_spec_stays_small():
    # A valid spec is stored, hashed and sent to browsers: no count in it may be huge.
    for where, key, rule in all_rules():
        if isinstance(rule, hyperparameters.Whole):
            assert rule.maximum is not None, (where, key)


def test_each_table_row_is_documented_next_to_its_code():
    for table in (activations, initializers, losses, optimizers, schedules, metrics):
        assert "one table" in inspect.getdoc(table), table.__name__
