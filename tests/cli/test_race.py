"""`descent submit --race` and the verified column, against a real server, worker and Redis."""

from __future__ import annotations

import json
import re
import time

import pytest
from django.utils import timezone

from challenges.models import Run, RunStatus, RunVerification, VerificationStatus
from challenges.selectors.history import run_history
from tests.cli.conftest import descent, log_in
from tests.support.factories import blobs_spec, make_challenge, make_run, make_user

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]


def wait_succeeded(run_id: int, timeout: float = 120.0) -> Run:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = Run.objects.get(pk=run_id)
        if run.is_final:
            assert run.status == RunStatus.SUCCEEDED, run.error
            return run
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not finish in {timeout} s")


def test_race_the_leader_streams_and_prints_the_gap(worker, server, config_dir, tmp_path):
    make_challenge(slug="cli-race", daily_quota=5)
    ada, bob = make_user("ada"), make_user("bob")
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(blobs_spec(epochs=300, seed=2)))
    log_in(ada, server)
    first = descent("submit", spec, "--challenge", "cli-race")
    assert first.returncode == 0, first.stderr
    ghost = wait_succeeded(int(re.search(r"run #(\d+)", first.stdout).group(1)))

    log_in(bob, server)
    spec.write_text(json.dumps(blobs_spec(epochs=200, seed=7)))
    result = descent("submit", spec, "--challenge", "cli-race", "--watch", "--race", "leader",
                     COLUMNS="200")
    assert result.returncode == 0, result.stdout + result.stderr
    racer = Run.objects.get(owner=bob)
    assert racer.ghost_run_id == ghost.pk
    assert f"the leader of cli-race is ada's run #{ghost.pk}" in result.stdout
    assert f"racing run #{ghost.pk}" in result.stdout
    mine, theirs = run_history(racer)[-1], {r["epoch"]: r for r in run_history(ghost)}[200]
    delta = mine["val_loss"] - theirs["val_loss"]
    where = "ahead by" if delta < 0 else "behind by"
    assert (f"race vs run #{ghost.pk} (ada) at epoch 200: your val loss "
            f"{mine['val_loss']:.6g}, the ghost's {theirs['val_loss']:.6g}: {where} "
            f"{abs(delta):.6g} (Δ {delta:.6g})") in result.stdout
    assert f"vs #{ghost.pk}" in result.stderr  # the progress bar shows the gap live

    refused = descent("submit", spec, "--challenge", "cli-race", "--race", "999999")
    assert refused.returncode == 2
    assert "ghost_run: no run you can see has that id" in refused.stderr
    empty = make_challenge(slug="cli-race-empty")
    nobody = descent("submit", spec, "--challenge", empty.slug, "--race", "leader")
    assert nobody.returncode == 2
    assert "--race leader: challenge cli-race-empty has no ranked run to race yet" in \
        nobody.stderr


def test_the_leaderboard_shows_and_filters_verified_entries(server, config_dir):
    challenge = make_challenge(slug="cli-verified")
    checked = make_run(challenge, make_user("ada"), val_score=0.9)
    tampered = make_run(challenge, make_user("bob"), val_score=0.8)
    make_run(challenge, make_user("cy"), val_score=0.7)
    for run, status in ((checked, VerificationStatus.REPRODUCED),
                        (tampered, VerificationStatus.MISMATCH)):
        RunVerification.objects.create(run=run, status=status, requested_at=timezone.now(),
                                       checked_at=timezone.now())
    board = descent("leaderboard", "cli-verified", "--server", server, COLUMNS="160")
    assert board.returncode == 0, board.stderr
    rows = re.findall(r"│\s+(\d)\s+│\s+(\w+)\s+│.*│\s+([✓✗\w -]+?)\s+│\s+\d{4}-", board.stdout)
    assert rows == [("1", "ada", "✓ reproduced"), ("2", "bob", "✗ mismatch"), ("3", "cy", "-")]
    verified = descent("leaderboard", "cli-verified", "--verified", "--server", server,
                       COLUMNS="160")
    assert "verified entries only" in verified.stdout
    assert re.findall(r"│\s+(\d)\s+│\s+(\w+)\s+│", verified.stdout) == [("1", "ada")]
