"""Submitting, watching, forking, diffing and reproducing runs through a real server, a real
Celery worker and Redis, with `.venv/bin/descent` as a user runs it."""

from __future__ import annotations

import json
import re
import time

import pytest

from challenges.models import Run, RunHistoryChunk, RunStatus
from tests.cli.conftest import descent, log_in
from tests.support.factories import blobs_spec, make_challenge, make_user

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def spec_file(tmp_path):
    def write(document, name="spec.json"):
        path = tmp_path / name
        path.write_text(json.dumps(document))
        return path

    return write


def wait_until_final(run_id: int, timeout: float = 120.0) -> Run:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = Run.objects.get(pk=run_id)
        if run.is_final:
            return run
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not finish in {timeout} s")


def submitted_run_id(stdout: str) -> int:
    return int(re.search(r"submitted run #(\d+)", stdout).group(1))


def test_submit_watch_streams_to_the_final_status_score_and_rank(worker, server, config_dir,
                                                                 spec_file):
    challenge = make_challenge(slug="cli-watch", daily_quota=5)
    log_in(make_user("ada"), server)
    result = descent("submit", spec_file(blobs_spec(epochs=300)), "--challenge", challenge.slug,
                     "--note", "from the terminal", "--watch", COLUMNS="160")
    assert result.returncode == 0, result.stdout + result.stderr
    run = Run.objects.get(pk=submitted_run_id(result.stdout))
    assert run.status == RunStatus.SUCCEEDED and run.note == "from the terminal"
    assert "4 of 5 runs left today" in result.stdout
    assert f"following run #{run.pk} live" in result.stderr
    assert f"run #{run.pk} succeeded: accuracy {run.score:.6g} (validation), 300/300 epochs" \
        in result.stdout
    assert "rank #1 of 1 on cli-watch (by val_score)" in result.stdout
    assert "300/300" in result.stderr  # the progress bar reached the last epoch


def test_a_refused_spec_prints_each_field_error_and_exits_2(server, config_dir, spec_file):
    make_challenge(slug="cli-refused")
    log_in(make_user(), server)
    bad = blobs_spec(layers=[{"units": 8, "activation": "relu"},
                             {"units": 2, "activation": "softmax"}], epochs=0)
    result = descent("submit", spec_file(bad), "--challenge", "cli-refused", "--watch")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "error: the server refused the submission:" in result.stderr
    assert "  epochs: Invalid epochs: 0" in result.stderr
    assert not Run.objects.exists()
    wrong_width = blobs_spec(layers=[{"units": 2, "activation": "softmax"}])
    result = descent("submit", spec_file(wrong_width), "--challenge", "cli-refused")
    assert result.returncode == 2
    assert "  layers[0].units: challenge 'cli-refused' has 3 classes; the last layer has 2 " \
        "units" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_spent_quota_prints_runs_left_and_the_reset_time(server, config_dir, spec_file):
    make_challenge(slug="cli-quota", daily_quota=1)
    log_in(make_user(), server)
    spec = spec_file(blobs_spec(epochs=5))
    first = descent("submit", spec, "--challenge", "cli-quota")
    assert first.returncode == 0, first.stderr
    assert "0 of 1 runs left today" in first.stdout
    second = descent("submit", spec, "--challenge", "cli-quota")
    assert second.returncode == 4, second.stdout + second.stderr
    assert "daily quota spent: 0 of 1 runs left today (1 used)" in second.stderr
    assert re.search(r"the quota resets at \d{4}-\d\d-\d\d 00:00 UTC \(in \d+ (h|min|s)",
                     second.stderr), second.stderr
    assert Run.objects.count() == 1


def test_submitting_without_a_login_says_how_to_log_in(server, config_dir, spec_file):
    make_challenge(slug="cli-anonymous")
    result = descent("submit", spec_file(blobs_spec()), "--challenge", "cli-anonymous",
                     "--server", server)
    assert result.returncode == 3
    assert f"not logged in to {server} (run: descent login {server})" in result.stderr


def test_reproduce_matches_a_finished_run_bit_for_bit(worker, server, config_dir, spec_file):
    challenge = make_challenge(slug="cli-reproduce", dataset="moons",
                               dataset_params={"noise": 0.3}, dataset_seed=7,
                               starter_spec={})
    owner = make_user()
    log_in(owner, server)
    spec = blobs_spec(layers=[{"units": 8, "activation": "tanh"},
                              {"units": 1, "activation": "sigmoid"}],
                      loss="binary_cross_entropy", epochs=60, seed=5)
    submitted = descent("submit", spec_file(spec), "--challenge", challenge.slug)
    assert submitted.returncode == 0, submitted.stderr
    run = wait_until_final(submitted_run_id(submitted.stdout))
    assert run.status == RunStatus.SUCCEEDED
    result = descent("reproduce", run.pk, COLUMNS="160")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "dataset moons (seed 7, params {\"n_samples\": 600, \"noise\": 0.3})" in result.stdout
    assert f"run #{run.pk} reproduces bit for bit: 300 values over 60 epochs" in result.stdout

    # History edited in the database: the rerun must catch it, say where, and say that
    # training cannot have made it (the last epoch is still identical).
    original = edit_history(run, epoch=10, field="val_loss", change=lambda x: x * (1 + 1e-7))
    for rtol in ("1e-9", "0.01"):  # no tolerance excuses an edited history
        tampered = descent("reproduce", run.pk, "--rtol", rtol, COLUMNS="160")
        assert tampered.returncode == 1, tampered.stdout + tampered.stderr
        assert f"largest difference: val_loss at epoch 10: server {original * (1 + 1e-7)!r}, " \
            f"here {original!r}" in tampered.stdout
        assert "so the recorded history was changed after the run" in tampered.stdout
        assert f"run #{run.pk} does NOT reproduce" in tampered.stdout

    # Only the last epoch off by round-off, as another CPU might give: within tolerance.
    edit_history(run, epoch=10, field="val_loss", change=lambda x: original)
    edit_history(run, epoch=60, field="train_loss", change=lambda x: x * (1 + 1e-12))
    rounded = descent("reproduce", run.pk, COLUMNS="160")
    assert rounded.returncode == 0, rounded.stdout + rounded.stderr
    assert "largest difference: train_loss at epoch 60" in rounded.stdout
    assert "why: same engine version" in rounded.stdout and "blas:" in rounded.stdout
    assert f"run #{run.pk} matches within tolerance (rtol 1e-09" in rounded.stdout


def edit_history(run: Run, *, epoch: int, field: str, change) -> float:
    """Change one stored value of the run's history in the database; return the old one."""
    for chunk in RunHistoryChunk.objects.filter(run=run, attempt=run.attempt):
        for record in chunk.records:
            if record["epoch"] == epoch:
                old = record[field]
                record[field] = change(old)
                chunk.save(update_fields=["records"])
                return old
    raise AssertionError(f"run {run.pk} has no epoch {epoch}")


def test_fork_writes_the_spec_and_diff_names_each_changed_key(worker, server, config_dir,
                                                              spec_file, tmp_path):
    make_challenge(slug="cli-fork")
    owner, stranger = make_user("owner"), make_user("stranger")
    log_in(owner, server)
    runs = []
    for rate in (0.05, 0.01):
        spec = blobs_spec(optimizer={"name": "adam", "learning_rate": rate}, epochs=5)
        result = descent("submit", spec_file(spec), "--challenge", "cli-fork")
        runs.append(submitted_run_id(result.stdout))
    forked = tmp_path / "forked.json"
    result = descent("fork", runs[0], "-o", forked)
    assert result.returncode == 0, result.stderr
    assert json.loads(forked.read_text()) == Run.objects.get(pk=runs[0]).spec
    assert f"descent submit {forked} --challenge cli-fork --forked-from {runs[0]}" in \
        result.stdout

    diff = descent("diff", runs[0], runs[1], COLUMNS="160")
    assert diff.returncode == 0, diff.stderr
    assert "1 difference" in diff.stdout
    assert re.search(r"optimizer\.learning_rate\s*│\s*0\.05\s*│\s*0\.01", diff.stdout), \
        diff.stdout
    same = descent("diff", runs[0], forked)
    assert same.returncode == 0 and "have the same spec" in same.stdout

    # A stranger cannot fork a spec its owner has not shared.
    log_in(stranger, server)
    refused = descent("fork", runs[0])
    assert refused.returncode == 3
    assert f"run #{runs[0]}'s spec is not visible to you" in refused.stderr
