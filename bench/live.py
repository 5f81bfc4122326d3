"""Measure live leaderboards end to end: latency, loss and order of what N watchers receive.

Starts the real stack: an embedded Redis (unless REDIS_URL), a fresh migrated SQLite database
under var/bench/ (unless DATABASE_URL), one Uvicorn process serving `descent.asgi:application`
and one Celery worker (`--concurrency 1`), all with DEBUG=0 and CHANNEL_LAYER=<layer>. For each
client count N it connects N WebSocket clients (from this one process) to
`/ws/challenges/<slug>/` of a fresh published blobs challenge, waits for every snapshot and for
the connection burst to settle, then submits R runs one after another and records, per client:

- latency of every `run.progress`: receipt time − its `at` (when the flushed epoch ended in the
  worker; same machine, same clock), so it includes the flush's database commit;
- loss: the `run.progress` epochs that a reference member of the group (on the channel layer
  itself, not behind the ASGI server) received and the client did not, plus each run's last
  epoch, which must always arrive;
- order: a `run.progress` whose epoch is lower than the one before it (same run);
- seq gaps: `leaderboard.update` seq numbers skipped after the snapshot's, up to the final seq.

It also reads the Uvicorn process's VmRSS before connecting and after the burst settled. Then
it runs `bench.publish_cost` for the publisher's cost per message.

    python -m bench.live [--clients 1,100,1000] [--runs 3] [--epochs 1500]
                         [--layer redis,pubsub] [--no-publish-cost]

Over 400 lines on purpose: one measurement read top to bottom (the watcher, the stack it
starts, one round, the table), with nothing another module would reuse.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.environment import TINY_SPEC, bench_environment  # noqa: E402
from descent.stack.redis_server import free_port  # noqa: E402
from descent.stack.servers import (  # noqa: E402
    asgi_server_command,
    celery_worker_command,
    wait_for_port,
)
from descent.stack.supervisor import Supervisor  # noqa: E402

# 3000 blobs rows, 2-8-3, batch 32: about 2 ms an epoch on the development machine, so 1500
# epochs train for ~3 s and the recorder (one flush every 0.1 s) publishes ~30 run.progress.
DATASET_PARAMS = {"n_samples": 3000}
CONNECT_BATCH = 50
TARGET_P50_MS, TARGET_P99_MS = 50.0, 250.0


@dataclass
class Watcher:
    """One WebSocket client and everything it received."""

    ws: Any = None
    reader: asyncio.Task | None = None
    snapshot_seq: int | None = None
    snapshot: asyncio.Event = field(default_factory=asyncio.Event)
    progress: dict[int, list[int]] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    seqs: list[int] = field(default_factory=list)
    finished: set[int] = field(default_factory=set)
    messages: int = 0
    last_message_at: float = 0.0
    closed_by_server: int | None = None


@dataclass
class Round:
    """The figures of one layer × client count."""

    layer: str
    clients: int
    connected: int = 0
    connect_s: float = 0.0
    settle_s: float = 0.0
    rss_before_kib: int = 0
    rss_after_kib: int = 0
    runs: int = 0
    runs_succeeded: int = 0
    published: int = 0
    received_per_client: float = 0.0
    p50_ms: float = float("nan")
    p99_ms: float = float("nan")
    max_ms: float = float("nan")
    lost: int = 0
    lost_last: int = 0
    out_of_order: int = 0
    seq_gaps: int = 0
    server_cpu: float = 0.0
    client_cpu: float = 0.0
    leaked_members: int = 0
    server_errors: dict[str, int] = field(default_factory=dict)
    timed_out: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def kib_per_connection(self) -> float:
        return (self.rss_after_kib - self.rss_before_kib) / max(1, self.connected)


def _percentile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def rss_kib(pid: int) -> int:
    """Return a process's resident set size in KiB, from /proc/<pid>/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _raise_open_files_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return wanted


async def _read(watcher: Watcher) -> None:
    """Record every message a client gets until its socket closes."""
    from websockets.exceptions import ConnectionClosed

    try:
        async for raw in watcher.ws:
            received = time.time()
            message = json.loads(raw)
            watcher.messages += 1
            watcher.last_message_at = time.monotonic()
            kind = message.get("type")
            if kind == "run.progress":
                watcher.latencies_ms.append((received - message["at"]) * 1000)
                watcher.progress.setdefault(message["run"], []).append(message["epoch"])
            elif kind == "leaderboard.update":
                watcher.seqs.append(message["seq"])
            elif kind == "run.finished":
                watcher.finished.add(message["run"])
            elif kind == "leaderboard.snapshot":
                watcher.snapshot_seq = message["seq"]
                watcher.snapshot.set()
    except ConnectionClosed as closed:
        if closed.rcvd is not None:
            watcher.closed_by_server = closed.rcvd.code


async def _connect(url: str, origin: str, deflate: bool, timeout: float) -> Watcher:
    from websockets.asyncio.client import connect

    watcher = Watcher()
    # No client pings: a thousand of them would be load the browsers' pings do not add here
    # (the server pings every 20 s anyway). Deflate is on by default, as browsers offer it.
    watcher.ws = await connect(url, origin=origin, open_timeout=timeout, ping_interval=None,
                               max_size=None, compression="deflate" if deflate else None)
    watcher.reader = asyncio.create_task(_read(watcher))
    await asyncio.wait_for(watcher.snapshot.wait(), timeout)
    return watcher


async def _settle(watchers: list[Watcher], quiet: float, deadline: float) -> None:
    """Wait until no client has received anything for `quiet` s (the presence burst)."""
    while time.monotonic() < deadline:
        latest = max((w.last_message_at for w in watchers), default=0.0)
        if time.monotonic() - latest >= quiet:
            return
        await asyncio.sleep(0.1)


class Stack:
    """One layer's processes: Uvicorn and a Celery worker, sharing this process's env."""

    def __init__(self, layer: str) -> None:
        self.layer = layer
        self.log = ROOT / "var" / "bench" / f"live-uvicorn-{layer}.log"
        self.env = dict(os.environ, CHANNEL_LAYER=layer, DESCENT_BENCH_LOG=str(self.log))
        self.supervisor = Supervisor(self.env)
        self.port = free_port()
        self.server_pid = 0

    def start(self, timeout: float = 60.0) -> None:
        """Start Uvicorn and the worker; return when both answer."""

        from descent.celery import app

        # Uvicorn's tracebacks go to a log the rounds count errors in; `exec` keeps the pid.
        self.log.write_text("")
        server = self.supervisor.start("uvicorn", [
            "sh", "-c", 'exec "$0" "$@" 2>>"$DESCENT_BENCH_LOG"',
            *asgi_server_command("uvicorn", host="127.0.0.1", port=self.port, quiet=True),
            "--backlog", "4096",
        ])
        self.server_pid = server.process.pid
        app.control.purge()
        self.supervisor.start("worker", celery_worker_command(
            hostname=f"bench-live-{self.layer}@%h", quiet=True,
            loglevel=os.environ.get("BENCH_WORKER_LOGLEVEL", "WARNING"),
            extra=["--without-mingle"],
        ))
        deadline = time.monotonic() + timeout
        wait_for_port(self.port, timeout=timeout,
                      alive=lambda: self.supervisor.dead_child() is None)
        while not app.control.ping(timeout=0.5):
            if time.monotonic() > deadline or self.supervisor.dead_child():
                raise TimeoutError("the worker did not start")

    def stop(self) -> None:
        self.supervisor.stop()

    def log_size(self) -> int:
        return self.log.stat().st_size if self.log.exists() else 0

    def errors_since(self, offset: int) -> dict[str, int]:
        """Count the server's ASGI exceptions logged after `offset`, by their last line."""
        with self.log.open("rb") as log:
            log.seek(offset)
            lines = log.read().decode(errors="replace").splitlines()
        counts: dict[str, int] = {}
        for index, line in enumerate(lines):
            if line.startswith("ERROR:    Exception in ASGI application"):
                # The exception's own line is the last unindented one before the next record.
                last = line
                for following in lines[index + 1:]:
                    if following.startswith(("ERROR:", "WARNING:", "INFO:")):
                        break
                    if following and not following.startswith((" ", "Traceback", "The above",
                                                                "During handling")):
                        last = following
                kind = last.split(":")[0].rsplit(".", 1)[-1]
                counts[kind] = counts.get(kind, 0) + 1
        return counts

    def cpu_seconds(self) -> float:
        """Return the server's user + system CPU time so far, from /proc/<pid>/stat."""
        fields = Path(f"/proc/{self.server_pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _final_epoch(run_id: int) -> int:
    """The last epoch the run recorded (the race always announces it)."""
    from challenges.models import Run

    return Run.objects.filter(pk=run_id).values_list("epochs_done", flat=True).get()


def _run_status(run_id: int) -> str:
    from challenges.models import Run

    return Run.objects.filter(pk=run_id).values_list("status", flat=True).get()


async def measure_round(stack: Stack, layer: str, clients: int, args: argparse.Namespace,
                        user: Any) -> Round:
    """Connect `clients` watchers, train `args.runs` runs, and tally what each one got."""
    from asgiref.sync import sync_to_async

    from challenges.models import Challenge
    from challenges.selectors.live import leaderboard_seq
    from challenges.services.challenges import challenge_save
    from challenges.services.submissions import run_submit
    from descent.redis import get_redis

    result = Round(layer=layer, clients=clients)
    deadline = time.monotonic() + args.round_timeout
    slug = f"live-{layer}-{clients}-{int(time.time())}"
    challenge = await sync_to_async(challenge_save)(Challenge(
        slug=slug, title=f"Live bench {layer} {clients}", dataset="blobs",
        dataset_params=DATASET_PARAMS, metric="accuracy", status=Challenge.Status.PUBLISHED,
        daily_quota=100_000, max_epochs=100_000, time_limit_seconds=120,
    ))
    url = f"ws://127.0.0.1:{stack.port}/ws/challenges/{slug}/"
    origin = f"http://127.0.0.1:{stack.port}"

    result.rss_before_kib = rss_kib(stack.server_pid)
    watchers: list[Watcher] = []
    started = time.monotonic()
    for first in range(0, clients, CONNECT_BATCH):
        size = min(CONNECT_BATCH, clients - first)
        outcomes = await asyncio.gather(
            *(_connect(url, origin, args.deflate, timeout=30) for _ in range(size)),
            return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                result.notes.append(f"connect failed: {outcome!r}"[:200])
            else:
                watchers.append(outcome)
        if time.monotonic() > deadline:
            result.timed_out = True
            break
    result.connect_s = time.monotonic() - started
    result.connected = len(watchers)
    settle_started = time.monotonic()
    # Every connect announces presence to the whole group, so N connects send ~N²/2 messages:
    # start the runs only once that burst is over, or it would count as run latency.
    await _settle(watchers, quiet=1.0, deadline=min(deadline, time.monotonic() + 120))
    result.settle_s = time.monotonic() - settle_started
    result.rss_after_kib = rss_kib(stack.server_pid)

    def own_cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    # A reference member of the challenge's group, straight on the channel layer (not through
    # the ASGI server): what it receives is what the worker published to the race.
    from channels.layers import get_channel_layer

    layer_client = get_channel_layer()
    reference = await layer_client.new_channel()
    await layer_client.group_add(f"challenge.{slug}", reference)
    published: dict[int, set[int]] = {}

    async def listen() -> None:
        while True:
            message = await layer_client.receive(reference)
            if message.get("type") == "run.progress":
                published.setdefault(message["run"], set()).add(message["epoch"])

    listener = asyncio.create_task(listen())

    log_offset = stack.log_size()
    cpu_started = (time.monotonic(), stack.cpu_seconds(), own_cpu())
    run_ids: list[int] = []
    for _ in range(args.runs):
        if time.monotonic() > deadline:
            result.timed_out = True
            break
        run = await sync_to_async(run_submit)(user=user, challenge=challenge,
                                               spec=dict(TINY_SPEC, epochs=args.epochs))
        run_ids.append(run.pk)
        while (status := await sync_to_async(_run_status)(run.pk)) in ("queued", "running"):
            if time.monotonic() > deadline:
                result.timed_out = True
                break
            await asyncio.sleep(0.1)
        result.runs_succeeded += status == "succeeded"
        if result.timed_out:
            break
    result.runs = len(run_ids)

    # Wait for the tail: every client has every run's finish and the last leaderboard seq.
    # The challenge is fresh, so each succeeded (ranked) run bumps its seq once, just after
    # the run shows as succeeded in the database.
    # The tail may outlast the round's deadline: a late message is not a lost one.
    tail_deadline = time.monotonic() + args.tail
    final_seq = 0
    while time.monotonic() < tail_deadline:
        final_seq = await sync_to_async(leaderboard_seq)(slug)
        if final_seq >= result.runs_succeeded:
            break
        await asyncio.sleep(0.05)
    while time.monotonic() < tail_deadline:
        if all(w.finished >= set(run_ids) and (w.seqs[-1:] or [w.snapshot_seq])[0] >= final_seq
               for w in watchers):
            break
        if time.monotonic() - max(w.last_message_at for w in watchers) > 5:
            break  # nothing for 5 s: what has not come will not
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)  # anything still in flight past the last message
    elapsed = time.monotonic() - cpu_started[0]
    result.server_cpu = (stack.cpu_seconds() - cpu_started[1]) / elapsed * 100
    result.client_cpu = (own_cpu() - cpu_started[2]) / elapsed * 100

    listener.cancel()
    await layer_client.group_discard(f"challenge.{slug}", reference)
    for run_id in run_ids:
        published.setdefault(run_id, set())
        # The run's last epoch must reach everyone, whether or not the reference got it.
        final_epoch = await sync_to_async(_final_epoch)(run_id)
        if final_epoch:
            published[run_id].add(final_epoch)
    result.published = sum(len(epochs) for epochs in published.values())
    latencies: list[float] = []
    for watcher in watchers:
        latencies += watcher.latencies_ms
        for run_id, epochs in published.items():
            seen = watcher.progress.get(run_id, [])
            result.lost += len(epochs - set(seen))
            result.lost_last += bool(epochs) and max(epochs) not in seen
            result.out_of_order += sum(b < a for a, b in itertools.pairwise(seen))
        expected = (watcher.snapshot_seq or 0) + 1
        for seq in [*watcher.seqs, final_seq + 1]:  # final_seq + 1: count a missing tail too
            result.seq_gaps += max(0, seq - expected)
            expected = max(expected, seq + 1)
        if watcher.closed_by_server is not None:
            result.notes.append(f"server closed a client: {watcher.closed_by_server}")
    if watchers:
        result.received_per_client = sum(len(w.latencies_ms) for w in watchers) / len(watchers)
    if latencies:
        latencies.sort()
        result.p50_ms = _percentile(latencies, 0.50)
        result.p99_ms = _percentile(latencies, 0.99)
        result.max_ms = latencies[-1]

    # Close cleanly, then let the server finish its disconnect handlers (each announces
    # presence to the rest) before the next round measures its RSS.
    for first in range(0, len(watchers), CONNECT_BATCH):
        await asyncio.gather(*(w.ws.close() for w in watchers[first:first + CONNECT_BATCH]),
                             return_exceptions=True)
    room_key = f"descent:presence:challenge:{slug}"
    leave_deadline = time.monotonic() + 30
    while await sync_to_async(get_redis().zcard)(room_key) and time.monotonic() < leave_deadline:
        await asyncio.sleep(0.2)
    await asyncio.sleep(1.0)
    # Members a disconnect handler failed to discard stay in the group for group_expiry.
    if layer == "redis":
        result.leaked_members = await sync_to_async(get_redis().zcard)(
            f"descent:group:challenge.{slug}")
    result.server_errors = stack.errors_since(log_offset)
    return result


def _print_table(rounds: list[Round]) -> None:
    print()
    print(f"{'layer':<7}{'N':>6}{'conn':>6}{'runs':>5}{'pub':>5}{'msg/cl':>8}{'p50 ms':>8}"
          f"{'p99 ms':>8}{'max ms':>8}{'lost':>6}{'last':>5}{'order':>6}{'gaps':>5}"
          f"{'RSS0 MiB':>9}{'RSS1 MiB':>9}{'KiB/conn':>9}{'conn s':>7}{'settle s':>9}"
          f"{'srv CPU':>8}{'cli CPU':>8}{'leaked':>7}")
    for r in rounds:
        print(f"{r.layer:<7}{r.clients:>6}{r.connected:>6}{r.runs_succeeded:>5}{r.published:>5}"
              f"{r.received_per_client:>8.1f}{r.p50_ms:>8.1f}{r.p99_ms:>8.1f}{r.max_ms:>8.1f}"
              f"{r.lost:>6}{r.lost_last:>5}{r.out_of_order:>6}{r.seq_gaps:>5}"
              f"{r.rss_before_kib / 1024:>9.1f}{r.rss_after_kib / 1024:>9.1f}"
              f"{r.kib_per_connection:>9.1f}{r.connect_s:>7.1f}{r.settle_s:>9.1f}"
              f"{r.server_cpu:>7.0f}%{r.client_cpu:>7.0f}%{r.leaked_members:>7}"
              + ("  TIMED OUT" if r.timed_out else ""))
        if r.server_errors:
            print(f"    {r.layer} N={r.clients}: server ASGI exceptions {r.server_errors}")
        for note in sorted(set(r.notes))[:5]:
            print(f"    {r.layer} N={r.clients}: {note}")
    print("columns: conn = clients connected; runs = runs succeeded; pub = run.progress the "
          "worker published; msg/cl = run.progress received per client; lost = published "
          "epochs a client missed (sum over clients); last = runs whose final epoch a client "
          "missed; order = decreasing epochs; gaps = leaderboard seq numbers skipped; "
          "conn s / settle s = time to connect all / for the presence burst to end; "
          "srv/cli CPU = Uvicorn's / this client process's CPU while the runs trained; "
          "leaked = group members left after every client disconnected")
    largest = max(r.clients for r in rounds)
    for r in rounds:
        if r.clients != largest:
            continue
        p50 = "met" if r.p50_ms <= TARGET_P50_MS else "MISSED"
        p99 = "met" if r.p99_ms <= TARGET_P99_MS else "MISSED"
        gaps = "met" if not (r.lost or r.out_of_order or r.seq_gaps) else "MISSED"
        print(f"targets at N={r.clients}, {r.layer}: p50 <= {TARGET_P50_MS:.0f} ms {p50} "
              f"({r.p50_ms:.1f}); p99 <= {TARGET_P99_MS:.0f} ms {p99} ({r.p99_ms:.1f}); "
              f"zero loss/disorder/gaps {gaps}")


def main(argv: list[str]) -> int:
    """Run every layer × client-count round, print the table, then the publish cost."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", default="1,100,1000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=1500)
    parser.add_argument("--layer", default="redis,pubsub")
    parser.add_argument("--round-timeout", type=float, default=120.0,
                        help="seconds a round (connect, runs, tail) may take")
    parser.add_argument("--tail", type=float, default=60.0,
                        help="seconds to wait after the last run for messages in flight")
    parser.add_argument("--no-deflate", dest="deflate", action="store_false",
                        help="clients do not offer permessage-deflate")
    parser.add_argument("--no-publish-cost", dest="publish_cost", action="store_false")
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.clients.split(",")]
    layers = args.layer.split(",")
    files = _raise_open_files_limit()  # before starting children: Uvicorn inherits it
    if max(counts) + 100 > files:
        print(f"open-files limit {files} is too low for {max(counts)} clients", file=sys.stderr)
        return 2

    redis = bench_environment("live")
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from community.models import User

        user, _ = User.objects.get_or_create(username="bench-live")
        rounds: list[Round] = []
        started = time.monotonic()
        for layer in layers:
            stack = Stack(layer)
            try:
                stack.start()
                for clients in counts:
                    print(f"-- {layer}: {clients} clients", flush=True)
                    rounds.append(asyncio.run(measure_round(stack, layer, clients, args, user)))
            finally:
                stack.stop()
        print(f"\nlive rounds took {time.monotonic() - started:.0f} s; {args.runs} runs of "
              f"{args.epochs} epochs per round (blobs n_samples=3000, 2-8-3, batch 32); "
              f"load average now {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
        _print_table(rounds)
    finally:
        if redis is not None and not args.publish_cost:
            redis.stop()
    if args.publish_cost:
        print("\npublish cost per message (bench.publish_cost):", flush=True)
        try:
            code = subprocess.run([sys.executable, "-m", "bench.publish_cost",
                                   "--layer", ",".join(layers)], cwd=ROOT, timeout=600,
                                  env=dict(os.environ)).returncode
        finally:
            if redis is not None:
                redis.stop()
        return code
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main(sys.argv[1:]))
