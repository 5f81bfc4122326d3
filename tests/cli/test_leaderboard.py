"""`descent challenges` and `descent leaderboard [--watch]` against a real server and Redis."""

from __future__ import annotations

import re
import signal

import pytest

from challenges.services.live import publish_leaderboard, seq_key
from descent.redis import get_redis
from tests.cli.conftest import descent
from tests.support.factories import make_challenge, make_run, make_user

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]


def test_leaderboard_prints_the_ranked_entries(server, config_dir):
    challenge = make_challenge(slug="cli-board")
    first = make_run(challenge, make_user("ada"), val_score=0.95)
    second = make_run(challenge, make_user("bob"), val_score=0.75)
    result = descent("leaderboard", "cli-board", "--server", server, COLUMNS="160")
    assert result.returncode == 0, result.stderr
    assert "leaderboard: cli-board by val_score" in result.stdout
    rows = re.findall(r"│\s+(\d)\s+│\s+(\w+)\s+│\s+#(\d+)\s+│\s+([\d.]+)", result.stdout)
    assert rows == [("1", "ada", str(first.pk), "0.95"), ("2", "bob", str(second.pk), "0.75")]


def test_an_unknown_challenge_is_a_clear_error(server, config_dir):
    result = descent("leaderboard", "no-such-board", "--server", server)
    assert result.returncode == 3
    assert "the leaderboard of 'no-such-board': not found" in result.stderr


def test_watch_redraws_updates_and_resyncs_after_a_seq_gap(server, config_dir, running):
    challenge = make_challenge(slug="cli-live-board")
    make_run(challenge, make_user("ada"), val_score=0.9)
    watcher = running("leaderboard", "cli-live-board", "--watch", "--server", server)
    watcher.wait_for_line(lambda line: "watching cli-live-board live" in line)
    publish_leaderboard(challenge)  # seq + 1: in order, drawn
    seq = int(get_redis().get(seq_key(challenge.slug)))
    get_redis().incr(seq_key(challenge.slug))  # an update this client never hears of
    make_run(challenge, make_user("bob"), val_score=0.95)
    publish_leaderboard(challenge)  # seq + 3 for the client: a gap
    watcher.wait_for_line(lambda line: f"seq gap on cli-live-board: expected {seq + 1}, got "
                          f"{seq + 2}; reconnecting for a fresh snapshot" in line)
    watcher.wait_for_line(lambda line: "reconnected: redrawn from a fresh snapshot at seq "
                          f"{seq + 2}" in line)
    watcher.process.send_signal(signal.SIGINT)
    status, stdout, stderr = watcher.finish(timeout=30)
    assert status == 0, stdout + stderr
    # The last drawing is the fresh snapshot's: bob ahead of ada, at the latest seq.
    assert re.search(r"1\s+│\s+bob.*\n.*2\s+│\s+ada", stdout), stdout
    assert f"seq {seq + 2}" in stdout
