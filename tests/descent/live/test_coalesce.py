"""The coalescer: a burst of marks runs a key's job a few times, the last state always."""

from __future__ import annotations

import itertools
import threading
import time

from descent.live.coalesce import Coalescer


def test_a_burst_of_marks_runs_the_job_at_most_once_an_interval_and_the_last_always():
    runs: list[tuple[float, int]] = []
    coalescer = Coalescer(interval=0.2)
    started = time.monotonic()
    for state in range(100):  # 100 finishes over ~1 s
        coalescer.mark("board", lambda state=state: runs.append((time.monotonic(), state)))
        if state == 0:  # leading edge: the first mark of a quiet key runs at once
            while not runs:
                assert time.monotonic() - started < 2
                time.sleep(0.001)
        time.sleep(0.01)
    assert coalescer.drain(timeout=5)
    states = [state for _at, state in runs]
    assert states[-1] == 99  # the state after the last mark was published
    assert states[0] == 0
    assert 3 <= len(runs) <= 8  # ~1 s / 0.2 s, not 100
    gaps = [b - a for (a, _), (b, _) in itertools.pairwise(runs)]
    assert min(gaps) >= 0.19
    assert states == sorted(states)


def test_keys_are_coalesced_apart_and_a_failing_job_does_not_stop_the_others():
    done = threading.Event()
    seen: list[str] = []
    coalescer = Coalescer(interval=0.05)

    def fail() -> None:
        raise RuntimeError("redis went away")

    coalescer.mark("a", fail)
    coalescer.mark("b", lambda: seen.append("b"))
    coalescer.mark("a", lambda: (seen.append("a"), done.set()))  # replaces the failing one
    assert done.wait(5) and coalescer.drain(5)
    assert sorted(seen) == ["a", "b"]
    coalescer.mark("a", fail)
    coalescer.mark("c", lambda: seen.append("c"))
    assert coalescer.drain(5) and seen[-1] == "c"
