"""Helpers of the fault tests: submit, wait, find and kill worker processes, check a record."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable

from rest_framework.test import APIClient

from challenges.models import Run, RunHistoryChunk
from challenges.models.run import FINAL_STATUSES
from challenges.selectors.history import run_history


def submit(user, challenge, spec) -> int:
    client = APIClient()
    client.force_authenticate(user)
    response = client.post(f"/api/challenges/{challenge.slug}/submissions/",
                           data=json.dumps({"spec": spec}), content_type="application/json")
    assert response.status_code == 201, response.content
    return response.json()["id"]


def wait_for(run_id: int, predicate: Callable[[Run], bool], timeout: float = 60.0,
             poll: float = 0.05) -> Run:
    deadline = time.monotonic() + timeout
    while True:
        run = Run.objects.get(pk=run_id)
        if predicate(run):
            return run
        if time.monotonic() > deadline:
            raise AssertionError(f"run {run_id} still {run.status} (attempt {run.attempt}, "
                                 f"{run.epochs_done} epochs) after {timeout} s: {run.error}")
        time.sleep(poll)


def wait_final(run_id: int, timeout: float = 60.0) -> Run:
    return wait_for(run_id, lambda run: run.is_final, timeout)


def training(run_id: int, attempt: int = 1, epochs: int = 1) -> Callable[[Run], bool]:
    """A predicate: attempt `attempt` has stored at least `epochs` epochs."""
    return lambda run: run.attempt == attempt and run.epochs_done >= epochs


def pool_children(worker_pid: int) -> list[int]:
    """The pids of a prefork worker's pool processes (its children, from /proc)."""
    children = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == worker_pid and fields[0] != "Z":
            children.append(int(entry))
    return children


def kill_holder(run: Run) -> int:
    """SIGKILL the process named in the run's `worker_process`; return its pid."""
    pid = int(run.worker_process.rpartition(":")[2])
    os.kill(pid, signal.SIGKILL)
    return pid


def assert_one_clean_record(run: Run, *, epochs: int, max_attempt: int = 2) -> None:
    """One final result, within the attempts, whose history is exactly `epochs_done` epochs."""
    assert run.is_final, run.status
    assert 1 <= run.attempt <= max_attempt, run.attempt
    attempts = set(RunHistoryChunk.objects.filter(run=run).values_list("attempt", flat=True))
    assert attempts <= {run.attempt}, attempts
    history = run_history(run)
    assert [record["epoch"] for record in history] == list(range(1, run.epochs_done + 1))
    assert run.epochs_done == epochs


def assert_no_stuck_runs() -> None:
    """No run of this test's database is left outside a final state."""
    stuck = list(Run.objects.exclude(status__in=FINAL_STATUSES)
                 .values_list("pk", "status", "attempt"))
    assert stuck == [], f"runs left without an end: {stuck}"
