"""Partial leaderboard updates: applying the deltas in seq order rebuilds every board.

The same cases go through the server's `board_delta`, and through each client's apply: the
`descent` command's (`descent.live.ranked.board_apply`), the browser's
(`static/common/ranked.js`, under Node.js) and the load bench's (`bench.load.tally`).
"""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.load.tally import apply_delta
from descent.live.ranked import board_apply, board_delta, with_ranks

ROOT = Path(__file__).resolve().parents[3]
USERS = [f"b{i}" for i in range(12)]


def keys(rows: list[dict] | None) -> list[tuple] | None:
    return None if rows is None else [(row["user"], row["run"], row["score"]) for row in rows]


def board(best: dict[str, tuple[float, int]]) -> list[dict]:
    """Rank builders by (score desc, parameters, name), as the leaderboard's rule would."""
    order = sorted(best.items(), key=lambda item: (-item[1][0], item[1][1], item[0]))
    return with_ranks([{"user": user, "run": run, "score": score, "val_rank": None,
                        "rank_change": None}
                       for user, (score, run) in order])


# A history of boards: each step a builder improves, appears, or is disqualified (leaves).
steps = st.lists(st.tuples(st.sampled_from(USERS), st.sampled_from([0.1, 0.5, 0.5, 0.7, 0.9]),
                           st.booleans()), min_size=1, max_size=25)


def histories(moves: list[tuple[str, float, bool]]) -> list[list[dict]]:
    best: dict[str, tuple[float, int]] = {}
    boards = [board(best)]
    for run, (user, score, leaves) in enumerate(moves, start=1):
        if leaves:
            best.pop(user, None)
        elif user not in best or score > best[user][0]:
            best[user] = (score, run)
        boards.append(board(best))
    return boards


@settings(max_examples=300, deadline=None)
@given(moves=steps, top=st.integers(min_value=1, max_value=14))
def test_applying_every_delta_in_seq_order_reproduces_every_board(moves, top):
    boards = histories(moves)
    held = bench_held = boards[0][:top]
    for before, after in itertools.pairwise(boards):
        changed, removed = board_delta(before, after, top=top)
        size = min(top, len(after))
        held = board_apply(held, changed, removed, size=size)
        bench_held = apply_delta(bench_held, changed, removed, size)
        assert held == after[:top]
        assert keys(bench_held) == keys(after[:top])  # the bench compares (user, run, score)


@settings(max_examples=200, deadline=None)
@given(moves=steps)
def test_a_delta_sends_the_rows_that_changed_not_the_rows_that_only_moved(moves):
    boards = histories(moves)
    for before, after in itertools.pairwise(boards):
        changed, removed = board_delta(before, after, top=len(USERS))
        # One move changes at most one builder's row; the rest only shift.
        assert len(changed) <= 1 and len(removed) <= 1


def test_a_delta_that_does_not_fit_the_board_held_is_refused():
    boards = histories([("b1", 0.5, False), ("b2", 0.9, False), ("b3", 0.7, False)])
    changed, removed = board_delta(boards[2], boards[3], top=10)
    assert board_apply(boards[2], changed, removed, size=3) == boards[3]
    assert board_apply(boards[1], changed, removed, size=3) is None  # missed an update
    assert apply_delta(boards[1], changed, removed, 3) is None


def test_the_browser_and_the_bench_apply_deltas_as_the_server_builds_them():
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is needed to check static/common/ranked.js")
    cases = []
    for seed in range(40):
        moves = [(USERS[(seed * 7 + i * 5) % 12], [0.1, 0.5, 0.7, 0.9][(seed + i) % 4],
                  (seed + i) % 6 == 0) for i in range(20)]
        boards, top = histories(moves), 1 + seed % 8
        for before, after in itertools.pairwise(boards):
            changed, removed = board_delta(before, after, top=top)
            cases.append({"held": before[:top], "entries": changed, "removed": removed,
                          "size": min(top, len(after)), "want": after[:top]})
    script = (
        "import(process.argv[1]).then(({applyDelta}) => {"
        "  let input = ''; process.stdin.on('data', (d) => { input += d; });"
        "  process.stdin.on('end', () => {"
        "    const got = JSON.parse(input).map((c) => applyDelta(c.held, c));"
        "    process.stdout.write(JSON.stringify(got)); }); });"
    )
    done = subprocess.run([node, "-e", script, str(ROOT / "static/common/ranked.js")],
                          input=json.dumps(cases), capture_output=True, text=True, timeout=60,
                          check=True)
    assert json.loads(done.stdout) == [case["want"] for case in cases]
