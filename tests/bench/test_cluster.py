"""Descent on several hosts (network namespaces on this machine) through a proxy, under a
small burst, losing a web server and a worker mid-burst: nothing lost, nothing twice, every
board right. Needs root, HAProxy, redis-server and PostgreSQL's binaries (`.ci/run` installs
HAProxy); run it with `make test PYTEST_ARGS="-m cluster"`.
"""

from __future__ import annotations

import subprocess
import time

import pytest

from bench.cluster.cluster import ClusterConfig, preflight, run_cluster
from bench.cluster.netns import Network, links, namespace_pids, namespaces, remove_leftovers
from bench.environment import BENCH_DIR

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(900)]

# Not the bench's own names: `make bench-cluster` may run beside this test.
PREFIX, SUBNET = "dsct", "10.77.1"
SPECTATORS = 20


def test_burst_through_the_proxy_survives_killing_web1_and_work1():
    missing = preflight()
    assert not missing, f"this machine cannot build the hosts: {missing}"
    outcome = run_cluster(ClusterConfig(
        prefix=PREFIX, subnet=SUBNET, users=6, runs_per_user=4, duration=20.0,
        spectators=SPECTATORS, epochs=300, tail_timeout=60.0, drain_timeout=240.0,
        logs=BENCH_DIR / "cluster-test-logs"))
    report, spectators = outcome.report, outcome.report.spectators

    assert set(outcome.killed) == {"web1", "work1"}
    assert (report.accepted, report.never_accepted, report.rejected) == (24, 0, 0)
    assert report.lost == [] and report.duplicated == []
    assert report.completed == report.accepted
    assert report.api_matches, report.api_mismatch
    assert report.board_entries == 6
    # The spectators web1 held came back through the proxy, and every one holds the board.
    assert spectators is not None and spectators.spectators == SPECTATORS
    assert spectators.spectators_reconnected > 0
    assert spectators.holding_final == SPECTATORS
    assert spectators.holding_final_reconnected == spectators.spectators_reconnected
    # work1 died holding a run; another attempt on work2 finished it.
    assert outcome.in_flight_on_work1, "work1 was idle when killed: no take-over to show"
    for run, (status, attempt, host) in outcome.in_flight_outcomes.items():
        assert (status, host) == ("succeeded", "work2") and attempt >= 2, run
    # Torn down: no namespace or link of ours is left.
    assert namespaces(PREFIX) == [] and links(PREFIX) == []


def test_leftovers_of_a_crashed_run_are_removed_by_their_prefix():
    network = Network(prefix="dscx", subnet="10.77.2")
    network.create({"web1": 21, "work1": 41})
    # A process left running inside a host, as after a SIGKILLed bench.
    sleeper = subprocess.Popen(network.command("work1", ["sleep", "300"]),
                               start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while not namespace_pids("dscx-work1") and time.monotonic() < deadline:
            time.sleep(0.05)
        # The sleeper is in the host (a short-lived helper of `ip netns exec` may be too).
        assert sleeper.pid in namespace_pids("dscx-work1")
        removed = remove_leftovers("dscx")
        assert "netns dscx-work1" in removed and "netns dscx-web1" in removed
        assert sleeper.wait(10) is not None
        assert namespaces("dscx") == [] and links("dscx") == []
    finally:
        remove_leftovers("dscx")
        if sleeper.poll() is None:
            sleeper.kill()
