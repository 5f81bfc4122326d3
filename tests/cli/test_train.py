"""`descent train` on the local engine: all that `python -m descent.engine train` prints."""

import json

from tests.cli.conftest import descent

SPEC = {
    "layers": [{"units": 8, "activation": "tanh"}, {"units": 3, "activation": "softmax"}],
    "loss": "cross_entropy",
    "optimizer": {"name": "adam", "learning_rate": 0.01},
    "epochs": 40,
    "batch_size": 32,
    "seed": 1,
}


def test_train_prints_the_epoch_table_status_and_metrics_and_draws_the_plot(tmp_path):
    spec, plot, history = tmp_path / "spec.json", tmp_path / "loss.png", tmp_path / "h.json"
    spec.write_text(json.dumps(SPEC))
    result = descent("train", spec, "--dataset", "spirals", "--seed", "3", "--plot", plot,
                     "--history", history, COLUMNS="120")
    assert result.returncode == 0, result.stderr
    assert "21 of 40 epochs" in result.stdout  # the per-epoch table: 1, 2, 4, ..., 40
    assert "train loss" in result.stdout and "val loss" in result.stdout
    assert "status: succeeded" in result.stdout
    assert "test accuracy" in result.stdout
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    recorded = json.loads(history.read_text())
    assert recorded["spec"]["seed"] == 3 and len(recorded["history"]) == 40
    # The table's last row is the last epoch, as recorded.
    last = recorded["history"][-1]
    assert f"{last['train_loss']:.6g}" in result.stdout


def test_train_names_every_bad_field_and_exits_2(tmp_path):
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({**SPEC, "epochs": 0,
                                "optimizer": {"name": "adam", "learning_rate": -1}}))
    result = descent("train", spec, "--dataset", "spirals")
    assert result.returncode == 2
    assert "epochs: Invalid epochs: 0" in result.stderr
    assert "optimizer.learning_rate: Invalid learning rate: -1" in result.stderr
    assert "Traceback" not in result.stderr


def test_train_on_an_unknown_dataset_exits_2(tmp_path):
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(SPEC))
    result = descent("train", spec, "--dataset", "spiral")
    assert result.returncode == 2
    assert "Unknown dataset: 'spiral'" in result.stderr


def test_datasets_lists_every_dataset():
    from descent.engine.datasets import DATASETS

    result = descent("datasets")
    assert result.returncode == 0, result.stderr
    assert all(name in result.stdout for name in DATASETS)
