"""The load bench's bookkeeping on synthetic message lists: gaps, resyncs, boards, loss."""

from __future__ import annotations

import math

from bench.load.tally import (
    RunRecord,
    SeqFollower,
    board_key,
    held_final_after,
    percentile,
    recompute_leaderboard,
    runs_duplicated,
    runs_lost,
)

A = (("ada", 1, 0.9),)
AB = (("ada", 1, 0.9), ("bob", 2, 0.8))
BA = (("bob", 3, 0.95), ("ada", 1, 0.9))


def test_follower_applies_the_next_seq_and_drops_old_and_repeated_ones():
    follower = SeqFollower()
    follower.snapshot(4, A, now=0.0)
    assert follower.update(5, AB, now=1.0) == "apply"
    assert follower.update(5, BA, now=1.5) == "drop"
    assert follower.update(3, BA, now=2.0) == "drop"
    assert (follower.current, follower.board, follower.gaps) == (5, AB, 0)


def test_a_gap_counts_once_and_its_resync_lasts_until_the_snapshot():
    follower = SeqFollower()
    follower.snapshot(1, A, now=0.0)
    assert follower.update(2, AB, now=1.0) == "apply"
    assert follower.update(5, BA, now=2.0) == "resync"  # 3 and 4 went missing
    assert follower.update(6, BA, now=2.5) == "wait"  # the same resync, not a second gap
    assert follower.board == AB  # nothing applied across a gap
    follower.snapshot(6, BA, now=2.75)
    assert (follower.gaps, follower.skipped, follower.resyncs) == (1, 2, [0.75])
    assert follower.update(7, BA, now=3.0) == "apply"


def test_a_resync_that_times_out_ends_with_the_snapshot_of_the_reconnect():
    follower = SeqFollower()
    follower.snapshot(1, A, now=0.0)
    follower.update(3, AB, now=10.0)
    assert not follower.resync_overdue(15.0, timeout=10.0)
    assert follower.resync_overdue(20.5, timeout=10.0)
    follower.resync_abandoned()
    assert not follower.resync_overdue(25.0, timeout=10.0)  # counted once, while reconnecting
    follower.snapshot(4, AB, now=22.0)  # the new connection's snapshot
    assert (follower.resync_timeouts, follower.resyncs, follower.current) == (1, [12.0], 4)


def test_the_final_board_counts_from_when_it_first_arrived_unchanged():
    follower = SeqFollower()
    follower.snapshot(1, A, now=0.0)
    follower.update(2, BA, now=5.0)
    follower.update(3, BA, now=9.0)  # the same board again: held since 5.0
    assert held_final_after(follower, BA, last_run_end=4.0) == 1.0
    assert held_final_after(follower, BA, last_run_end=6.0) == 0.0  # held before the end
    assert held_final_after(follower, AB, last_run_end=4.0) is None


def test_board_key_keeps_user_run_and_score_in_rank_order():
    entries = [{"rank": 1, "user": "bob", "run": "3", "score": 0.95, "parameter_count": 9},
               {"rank": 2, "user": "ada", "run": 1, "score": 0.9}]
    assert board_key(entries) == BA


def _run(id, user, score, *, params=10, at=0.0, status="succeeded", ranked=True,
         disqualified=False):
    return RunRecord(id=id, user=user, status=status, ranked=ranked, score=score,
                     parameter_count=params, created_at=at, disqualified=disqualified)


def test_recompute_ranks_each_builders_best_run_with_the_tie_breaks():
    runs = [
        _run(1, "ada", 0.90, params=50, at=1.0),
        _run(2, "ada", 0.90, params=20, at=2.0),  # ada's best: same score, fewer parameters
        _run(3, "bob", 0.90, params=20, at=1.5),  # ties ada's best: earlier submission wins
        _run(4, "cy", 0.90, params=20, at=1.5),  # ties bob exactly: lower id wins
        _run(5, "dee", 0.99, status="diverged"),
        _run(6, "dee", 0.99, ranked=False),
        _run(7, "dee", 0.99, disqualified=True),
        _run(8, "dee", math.nan),
        _run(9, "dee", None, status="failed"),
        _run(10, "eve", 0.70),
    ]
    assert recompute_leaderboard(runs, higher_is_better=True) == (
        ("bob", 3, 0.90), ("cy", 4, 0.90), ("ada", 2, 0.90), ("eve", 10, 0.70))
    assert recompute_leaderboard(runs, higher_is_better=False)[0] == ("eve", 10, 0.70)


def test_run_record_reads_the_api_shape():
    record = RunRecord.from_api({
        "id": 7, "user": "ada", "status": "succeeded", "ranked": True, "score": 0.5,
        "parameter_count": 35, "created_at": "2026-11-26T04:28:28.123456Z",
        "finished_at": "2026-11-26T04:28:29.123456Z", "disqualified_reason": None,
        "attempt": 2, "worker_host": "work2",
    })
    assert (record.finished_at - record.created_at, record.attempt, record.disqualified) == (
        1.0, 2, False)


def test_lost_runs_are_accepted_runs_that_are_not_final_or_not_found():
    statuses = {1: "succeeded", 2: "running", 3: "queued", 4: "timed_out"}
    assert runs_lost([1, 2, 3, 4, 5], statuses) == [2, 3, 5]


def test_duplicates_are_double_finishes_double_entries_and_double_listings():
    assert runs_duplicated(finishes=[{1: 1, 2: 1}], boards=[AB], listed=[1, 2]) == []
    assert runs_duplicated(finishes=[{1: 1}, {2: 2}], boards=[], listed=[]) == [2]
    assert runs_duplicated(finishes=[], boards=[(("ada", 1, 0.9), ("bob", 1, 0.9))],
                           listed=[]) == [1]
    assert runs_duplicated(finishes=[], boards=[(("ada", 1, 0.9), ("ada", 4, 0.8))],
                           listed=[]) == [1, 4]
    assert runs_duplicated(finishes=[], boards=[], listed=[3, 5, 3]) == [3]


def test_percentile_is_the_nearest_rank():
    values = list(range(1, 101))
    assert (percentile(values, 0.5), percentile(values, 0.99), percentile(values, 1.0)) == (
        50, 99, 100)
    assert percentile([3.0], 0.99) == 3.0
    assert math.isnan(percentile([], 0.5))
