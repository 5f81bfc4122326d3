"""`make bench-cluster`: a burst through a proxy to hosts in network namespaces, with failures.

    python -m bench.cluster [--users 20] [--runs 5] [--duration 40] [--spectators 50]
                            [--epochs 200] [--no-kill] [--prefix dsc] [--subnet 10.77.0]
                            [--markdown FILE]

Needs root, iproute2, HAProxy, redis-server and PostgreSQL's binaries (see bench.cluster.cluster).
Exit status 0 when nothing was lost or duplicated, every board was right, and every run work1
was training when it was killed ended on another attempt.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))

from bench.cluster.cluster import ClusterConfig, ClusterOutcome, run_cluster  # noqa: E402
from bench.load.report import markdown, print_report  # noqa: E402


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt  # through every `finally`: the hosts come down


def takeover_ok(outcome: ClusterOutcome) -> bool:
    """Every run work1 was training when killed ended, on a later attempt, elsewhere."""
    return all(status == "succeeded" and attempt > 1 and host != "work1"
               for status, attempt, host in outcome.in_flight_outcomes.values())


def describe(outcome: ClusterOutcome) -> list[str]:
    lines = [f"set-up (network, PostgreSQL, Redis, migrate, processes): "
             f"{outcome.setup_seconds:.0f} s"]
    for host, note in outcome.killed.items():
        lines.append(f"killed {host}: {note}")
    for run, (status, attempt, host) in sorted(outcome.in_flight_outcomes.items()):
        lines.append(f"run {run} (work1 was training it): {status}, attempt {attempt}, on {host}")
    return lines


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cluster", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5, help="runs per user")
    parser.add_argument("--duration", type=float, default=40.0)
    parser.add_argument("--spectators", type=int, default=50)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--no-kill", dest="kill", action="store_false")
    parser.add_argument("--prefix", default="dsc", help="names of namespaces and links")
    parser.add_argument("--subnet", default="10.77.0", help="the hosts' /24, first 3 octets")
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    started = time.monotonic()
    config = ClusterConfig(prefix=args.prefix, subnet=args.subnet, users=args.users,
                           runs_per_user=args.runs, duration=args.duration,
                           spectators=args.spectators, epochs=args.epochs, kill=args.kill)
    try:
        outcome = run_cluster(config)
    except KeyboardInterrupt:
        print("bench-cluster: interrupted; the hosts were taken down", file=sys.stderr)
        return 130
    title = (f"bench-cluster (8 hosts on {args.subnet}.0/24, through HAProxy; "
             f"{time.monotonic() - started:.0f} s)")
    print_report(outcome.report, title)
    for line in describe(outcome):
        print(f"  {line}")
    if args.markdown:
        args.markdown.write_text(markdown(outcome.report) + "\n" + "\n".join(
            f"- {line}" for line in describe(outcome)) + "\n")
    return 0 if outcome.report.ok and takeover_ok(outcome) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
