"""The CLI's pieces without a server: history comparison, spec diff, error bodies, watches,
the token file."""

from __future__ import annotations

import math
import stat

import httpx
import pytest

from descent.cli import config
from descent.cli.client import ApiClient, error_lines, limit_lines
from descent.cli.errors import EXIT_LIMIT, EXIT_SERVER, EXIT_USAGE, CliError
from descent.cli.render import race_result
from descent.cli.reproduce import compare_histories
from descent.cli.specs import MISSING, spec_changes
from descent.cli.stream import LeaderboardWatch, RunWatch, Verdict, gap_words

HISTORY = [{"epoch": 1, "train_loss": 0.5, "val_loss": 0.6, "accuracy": 0.5},
           {"epoch": 2, "train_loss": 0.25, "val_loss": 0.3, "accuracy": 0.75}]


def test_identical_histories_match_bit_for_bit():
    comparison = compare_histories(HISTORY, [dict(r) for r in HISTORY])
    assert comparison.identical and comparison.matches()
    assert comparison.values_compared == 8


def test_a_last_bit_difference_is_found_and_judged_by_the_tolerance():
    local = [dict(r) for r in HISTORY]
    local[1]["val_loss"] = math.nextafter(0.3, 1.0)
    comparison = compare_histories(HISTORY, local)
    assert not comparison.identical
    largest = comparison.largest
    assert (largest.epoch, largest.field) == (2, "val_loss")
    assert largest.absolute == pytest.approx(5.55e-17, rel=0.01)
    assert comparison.matches(rtol=1e-9)
    assert not comparison.matches(rtol=0.0, atol=0.0)


def test_a_real_difference_does_not_match_and_the_largest_is_reported():
    local = [dict(r) for r in HISTORY]
    local[0]["train_loss"] = 0.5000001
    local[1]["accuracy"] = 0.5
    comparison = compare_histories(HISTORY, local)
    assert [(d.epoch, d.field) for d in comparison.differences] == [(1, "train_loss"),
                                                                     (2, "accuracy")]
    assert comparison.largest.field == "accuracy"
    assert comparison.largest.relative == pytest.approx(1 / 3)
    assert not comparison.matches(rtol=1e-9)


def test_a_missing_epoch_or_a_null_never_matches():
    assert not compare_histories(HISTORY, HISTORY[:1]).matches()
    nulled = [dict(HISTORY[0]), {**HISTORY[1], "val_loss": None}]
    comparison = compare_histories(HISTORY, nulled)
    assert comparison.largest.absolute == math.inf and not comparison.matches(rtol=1.0)


def test_signed_zeros_are_not_bit_for_bit_equal():
    comparison = compare_histories([{"epoch": 1, "x": 0.0}], [{"epoch": 1, "x": -0.0}])
    assert not comparison.identical and comparison.matches(rtol=0, atol=0)


def test_spec_changes_name_each_path_with_both_values():
    a = {"layers": [{"units": 8}, {"units": 3}], "optimizer": {"learning_rate": 0.01},
         "l2": 0.0, "gradient_clip": None}
    b = {"layers": [{"units": 16}, {"units": 3}, {"units": 1}],
         "optimizer": {"learning_rate": 0.01, "beta1": 0.8}, "l2": 0, "gradient_clip": 1.0}
    assert spec_changes(a, b) == [
        ("layers[0].units", 8, 16), ("gradient_clip", None, 1.0),
        ("layers[2].units", MISSING, 1), ("optimizer.beta1", MISSING, 0.8),
    ]
    assert spec_changes(a, a) == []
    assert spec_changes({"flag": True}, {"flag": 1}) == [("flag", True, 1)]


def test_error_bodies_become_field_lines():
    body = {"layers[1].units": ["challenge 'x' has 3 classes; the last layer has 2 units"],
            "spec": {"optimizer": ["required"]}, "detail": "nope"}
    assert error_lines(body) == [
        "layers[1].units: challenge 'x' has 3 classes; the last layer has 2 units",
        "spec.optimizer: required", "nope"]


def test_a_quota_429_says_runs_left_and_when_it_resets():
    response = httpx.Response(429, headers={"Retry-After": "3725"}, json={
        "detail": "spent", "retry_after": 3725,
        "quota": {"limit": 2, "used": 2, "left": 0, "resets_at": "2026-12-03T00:00:00Z"}})
    assert limit_lines(response) == ["daily quota spent: 0 of 2 runs left today (2 used)",
                                     "the quota resets at 2026-12-03 00:00 UTC (in 1 h 2 min)"]
    throttled = httpx.Response(429, headers={"Retry-After": "12"},
                               json={"detail": "Request was throttled."})
    assert limit_lines(throttled) == ["Request was throttled.", "try again in 12 s"]


def _client(handler) -> ApiClient:
    return ApiClient("http://descent.test", "t0ken", transport=httpx.MockTransport(handler))


def test_http_errors_become_clear_exit_statuses():
    def handler(request: httpx.Request) -> httpx.Response:
        status = {"/api/runs/1/": 400, "/api/runs/2/": 429, "/api/runs/3/": 404,
                  "/api/runs/4/": 500}[request.url.path]
        return httpx.Response(status, json={"epochs": ["too many"]})

    with _client(handler) as client:
        codes = []
        for run_id in (1, 2, 3, 4):
            with pytest.raises(CliError) as raised:
                client.run(run_id)
            codes.append(raised.value.exit_code)
    assert codes == [EXIT_USAGE, EXIT_LIMIT, EXIT_SERVER, EXIT_SERVER]


def test_an_unreachable_server_is_one_sentence():
    with ApiClient("http://127.0.0.1:9") as client, pytest.raises(CliError) as raised:
        client.challenges()
    assert raised.value.format_message() == "cannot reach http://127.0.0.1:9: connection refused"


def test_a_leaderboard_watch_resyncs_on_a_seq_gap_and_ignores_old_updates():
    notices = []
    watch = LeaderboardWatch(slug="s", notice=notices.append)
    watch.connected()
    assert watch.handle({"type": "leaderboard.update", "seq": 9, "entries": []}) is \
        Verdict.CONTINUE and watch.seq is None  # nothing counts before the snapshot
    watch.handle({"type": "presence.update", "online": 3})
    watch.handle({"type": "leaderboard.snapshot", "seq": 4, "entries": [{"rank": 1}]})
    assert watch.handle({"type": "leaderboard.update", "seq": 5, "entries": [{"rank": 2}]}) \
        is Verdict.CONTINUE
    assert watch.handle({"type": "leaderboard.update", "seq": 5, "entries": []}) \
        is Verdict.CONTINUE and watch.entries == [{"rank": 2}]
    assert watch.handle({"type": "leaderboard.update", "seq": 7, "entries": []}) \
        is Verdict.RESYNC
    assert watch.entries == [{"rank": 2}] and watch.online == 3
    assert notices == ["seq gap on s: expected 6, got 7; reconnecting for a fresh snapshot"]
    watch.handle({"type": "some.future.type"})


def test_a_run_watch_follows_snapshot_epochs_and_the_final_status():
    watch = RunWatch(run_id=7)
    snapshot = {"type": "run.snapshot", "run": {"status": "running", "epochs": 10,
                                                "history": [{"epoch": 3, "train_loss": 1.0,
                                                             "val_loss": 2.0}]}}
    assert watch.handle(snapshot) is Verdict.CONTINUE and watch.epoch == 3
    watch.handle({"type": "run.epoch", "run": 7, "epochs": 10,
                  "records": [{"epoch": 4, "train_loss": 0.5, "val_loss": 0.6}]})
    assert (watch.epoch, watch.train_loss) == (4, 0.5)
    assert watch.handle({"type": "run.status", "run": 7, "status": "succeeded",
                         "score": 0.9, "epochs_done": 10}) is Verdict.DONE
    # A snapshot after a reconnect that shows the run finished ends the watch too.
    again = RunWatch(run_id=7)
    assert again.handle({"type": "run.snapshot", "run": {"status": "diverged",
                                                         "history": []}}) is Verdict.DONE


def test_the_token_file_is_private_and_forgets_on_logout(config_dir):
    path = config.login_save(server="http://a.test", token="abc", username="ada")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(config_dir.stat().st_mode) == 0o700
    config.login_save(server="http://b.test", token="def", username="bob")
    assert config.current_server(None) == "http://b.test"
    assert config.login_for("http://a.test").token == "abc"
    assert config.login_forget(server="http://b.test")
    assert config.current_server(None) == "http://a.test"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not config.login_forget(server="http://b.test")


def test_server_urls_are_normalised_and_checked():
    assert config.normalise_server("http://127.0.0.1:8000/") == "http://127.0.0.1:8000"
    with pytest.raises(CliError):
        config.normalise_server("127.0.0.1:8000")


def test_a_run_watch_keeps_the_ghost_and_its_latest_gap():
    watch = RunWatch(run_id=7)
    watch.handle({"type": "run.snapshot", "run": {
        "status": "running", "epochs": 10, "history": [], "epochs_done": 0,
        "ghost": {"run": 3, "user": "ada", "gap": None, "records": []}}})
    assert (watch.ghost_run, watch.ghost_user, watch.gap) == (3, "ada", None)
    gap = {"run": 3, "epoch": 4, "val_loss": 0.5, "delta": -0.125, "last_epoch": 8}
    watch.handle({"type": "run.epoch", "run": 7, "epoch": 4, "epochs": 10,
                  "records": [{"epoch": 4, "train_loss": 0.4, "val_loss": 0.375}],
                  "ghost": gap})
    assert watch.gap == gap
    assert gap_words(watch.gap) == "Δ −0.125 vs #3 (ahead)"
    assert gap_words({**gap, "delta": 0.5}) == "Δ +0.5 vs #3 (behind)"
    assert gap_words({"run": 3, "epoch": 9, "val_loss": None, "delta": None,
                      "last_epoch": 8}) == "ghost #3 ended at epoch 8"


def test_a_race_result_compares_at_the_ghosts_last_epoch_when_the_racer_outlasts_it():
    run = {"history": [{"epoch": e, "val_loss": 1.0 / e} for e in range(1, 11)],
           "ghost": {"run": 3, "user": "ada", "last_epoch": 4,
                     "records": [{"epoch": 4, "val_loss": 0.5}],
                     "gap": {"run": 3, "epoch": 10, "val_loss": None, "delta": None,
                             "last_epoch": 4}}}
    assert race_result(run) == ("race vs run #3 (ada) at epoch 4 (the ghost ended at epoch 4): "
                                "your val loss 0.25, the ghost's 0.5: ahead by 0.25 (Δ -0.25)")
