"""The command line, run as a user runs it: `python -m descent.engine ...` in a subprocess."""

import json
import subprocess
import sys

import pytest

SPIRALS_SPEC = {
    "layers": [{"units": 8, "activation": "tanh"}, {"units": 3, "activation": "softmax"}],
    "loss": "cross_entropy",
    "optimizer": {"name": "adam", "learning_rate": 0.01},
    "epochs": 3,
    "batch_size": 32,
    "seed": 1,
}


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "descent.engine", *map(str, args)],
                          capture_output=True, text=True, timeout=120, cwd=cwd)


@pytest.fixture
def spec_file(tmp_path):
    def write(document, name="spec.json"):
        path = tmp_path / name
        path.write_text(document if isinstance(document, str) else json.dumps(document))
        return path

    return write


def assert_clean_usage_error(result):
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr


def test_bad_spec_exits_2_naming_every_field(spec_file):
    bad = {**SPIRALS_SPEC, "epochs": 0, "optimizer": {"name": "adam", "learning_rate": -1}}
    result = run("train", spec_file(bad), "--dataset", "spirals")
    assert_clean_usage_error(result)
    assert "epochs: Invalid epochs: 0" in result.stderr
    assert "optimizer.learning_rate: Invalid learning rate: -1" in result.stderr


def test_spec_that_does_not_fit_the_dataset_exits_2(spec_file):
    result = run("train", spec_file(SPIRALS_SPEC), "--dataset", "moons")
    assert_clean_usage_error(result)
    assert "layers[1].units: dataset 'moons' has 2 classes" in result.stderr


def test_unknown_dataset_exits_2(spec_file):
    result = run("train", spec_file(SPIRALS_SPEC), "--dataset", "spiral")
    assert_clean_usage_error(result)
    assert "Unknown dataset: 'spiral'" in result.stderr


def test_invalid_json_exits_2(spec_file):
    result = run("train", spec_file('{"layers": [', "broken.json"), "--dataset", "spirals")
    assert_clean_usage_error(result)
    assert "broken.json is not valid JSON" in result.stderr


def test_missing_spec_file_exits_2(tmp_path):
    result = run("train", tmp_path / "absent.json", "--dataset", "spirals")
    assert_clean_usage_error(result)
    assert "cannot read spec file" in result.stderr


def test_json_that_is_not_an_object_exits_2(spec_file):
    result = run("train", spec_file("[1, 2]"), "--dataset", "spirals")
    assert_clean_usage_error(result)
    assert "spec: Invalid spec" in result.stderr


def test_bad_dataset_param_exits_2(spec_file):
    result = run("train", spec_file(SPIRALS_SPEC), "--dataset", "spirals",
                 "--data-param", "n_classes=99")
    assert_clean_usage_error(result)
    assert "n_classes" in result.stderr


def test_short_train_run_writes_history_and_plot(spec_file, tmp_path):
    history, plot = tmp_path / "history.json", tmp_path / "loss.png"
    result = run("train", spec_file(SPIRALS_SPEC), "--dataset", "spirals", "--seed", "7",
                 "--history", history, "--plot", plot, "--float64")
    assert result.returncode == 0, result.stderr
    assert "status: succeeded" in result.stdout
    assert "validation accuracy" in result.stdout
    assert "test accuracy" in result.stdout
    document = json.loads(history.read_text())
    assert document["status"] == "succeeded"
    assert document["spec"]["seed"] == 7
    assert document["spec"]["dtype"] == "float64"
    assert document["dataset"]["name"] == "spirals"
    assert [record["epoch"] for record in document["history"]] == [1, 2, 3]
    assert {"train_loss", "val_loss", "accuracy"} <= set(document["history"][0])
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_regression_run_reports_r2(spec_file):
    spec = {"layers": [{"units": 1, "activation": "linear"}], "loss": "mse",
            "optimizer": {"name": "gd", "learning_rate": 0.1}, "epochs": 2}
    result = run("train", spec_file(spec), "--dataset", "linear")
    assert result.returncode == 0, result.stderr
    assert "validation r2" in result.stdout


def test_diverging_run_exits_1_and_its_history_keeps_the_blow_up(spec_file, tmp_path):
    spec = {"layers": [{"units": 16, "activation": "relu"}, {"units": 1, "activation": "linear"}],
            "loss": "mse", "optimizer": {"name": "sgd", "learning_rate": 1e6}, "epochs": 20}
    history = tmp_path / "history.json"
    result = run("train", spec_file(spec), "--dataset", "diabetes", "--history", history)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "status: diverged" in result.stdout
    document = json.loads(history.read_text())
    blew_up = document["blew_up_at"]
    assert document["history"][-1]["epoch"] == blew_up["epoch"]
    assert blew_up["batch_losses"] and blew_up["detected_in"] == "training"


def test_gradcheck_passes_for_a_correct_network(spec_file):
    result = run("gradcheck", spec_file(SPIRALS_SPEC), "--inputs", "2", "--outputs", "3")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "gradient check passed" in result.stdout


def test_gradcheck_with_bad_spec_exits_2(spec_file):
    result = run("gradcheck", spec_file({"layers": []}))
    assert_clean_usage_error(result)
    assert "layers:" in result.stderr


def test_datasets_lists_every_dataset():
    from descent.engine.datasets import DATASETS

    result = run("datasets")
    assert result.returncode == 0, result.stderr
    for name in DATASETS:
        assert name in result.stdout


def test_missing_command_is_a_usage_error():
    result = run()
    assert_clean_usage_error(result)
