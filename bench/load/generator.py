"""The load generator: builders sign up and submit runs over HTTP while spectators watch.

`run_load(config)` drives servers that are already up (one or more base URLs; users and
spectators are spread over them round-robin) and returns a `LoadReport`:

1. every spectator connects to `/ws/challenges/<slug>/` (in a child process, see
   `bench.load.spectators`) and gets its snapshot;
2. N users register and get a token through the API;
3. the burst: each user submits M small runs, spread evenly over the duration (each user at
   a random phase), through `POST /api/challenges/<slug>/submissions/`, while probes time the
   challenge page and the leaderboard API. A submission that fails with a 5xx or a dropped
   connection may still have been written: the user looks for it by its note in its run list
   before trying again, so a retry never makes a second run;
4. the drain: the users' run lists are polled until every accepted run is final;
5. the board: recomputed from the run records (`bench.load.tally.recompute_leaderboard`) and
   compared with the leaderboard API and with what every spectator holds, waiting up to
   `tail_timeout` s for stragglers;
6. throughput: `/api/version/` and the leaderboard API in turns, same server, same run.

`events` run at given fractions of the burst (the several-hosts bench kills a web server and
a worker there).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import random
import resource
import secrets
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.load.spectators import ConnectReport, SpectatorsConfig, SpectatorsReport, spectate
from bench.load.tally import (
    FINAL_STATUSES,
    Board,
    RunRecord,
    board_key,
    percentile,
    recompute_leaderboard,
    runs_duplicated,
    runs_lost,
)

UNITS = (4, 8, 16)
LEARNING_RATES = (0.01, 0.03, 0.1)


class LoadAborted(RuntimeError):
    """The bench was told to stop (a signal, a dead server) before it finished."""


@dataclass(frozen=True)
class LoadConfig:
    """What to run against which servers."""

    urls: tuple[str, ...]
    slug: str = "load-blobs"
    users: int = 20
    runs_per_user: int = 5
    duration: float = 30.0
    spectators: int = 50
    epochs: int = 20
    probes: int = 1  # concurrent loops per probed page during the burst
    probe_pause: float = 0.2
    throughput_seconds: float = 3.0
    throughput_connections: int = 8
    drain_timeout: float = 600.0
    drain_poll: float = 5.0
    tail_timeout: float = 120.0
    signup_concurrency: int = 8
    deflate: bool = True
    protocol: str = "2"  # the spectators' live protocol ("" for the first, CONTRACT §4)
    seed: int = 0
    tag: str = ""  # part of every username; random when empty, so a rerun never collides

    def spec(self, user: int, index: int) -> dict[str, Any]:
        """The tiny spec of a user's run: blobs-sized, varied so that scores differ and tie."""
        return {
            "layers": [{"units": UNITS[(user + index) % len(UNITS)], "activation": "relu"},
                       {"units": 3, "activation": "softmax"}],
            "loss": "cross_entropy",
            "optimizer": {"name": "adam",
                          "learning_rate": LEARNING_RATES[(user * 7 + index) % 3]},
            "epochs": self.epochs,
            "batch_size": 32,
            "seed": user * self.runs_per_user + index,
        }


@dataclass
class Event:
    """Something to do at a fraction of the burst: `action` blocks and returns a note."""

    at: float
    name: str
    action: Callable[[], str]


@dataclass
class Submission:
    """One run a user meant to submit, and what became of the request."""

    user: int
    index: int
    note: str
    submitted_at: float = 0.0  # wall clock, when the first request went out
    run: int | None = None
    http_seconds: float | None = None  # of the request that was accepted
    attempts: int = 0
    recovered: bool = False  # the response was lost, the run was found by its note
    throttled: int = 0
    rejected: str = ""  # a 4xx other than 429: the body


@dataclass
class LoadReport:
    """Every figure of one load run."""

    config: LoadConfig
    servers: int
    signup_seconds: float = 0.0
    connect: ConnectReport | None = None
    burst_seconds: float = 0.0
    drain_seconds: float = 0.0
    submissions: int = 0
    accepted: int = 0
    recovered: int = 0
    retried_requests: int = 0
    throttled: int = 0
    rejected: int = 0
    never_accepted: int = 0
    first_rejection: str = ""
    completed: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    lost: list[int] = field(default_factory=list)
    duplicated: list[int] = field(default_factory=list)
    unacknowledged: list[int] = field(default_factory=list)  # runs nobody got a 201 for
    taken_over: int = 0  # runs whose last attempt was not their first
    worker_hosts: dict[str, int] = field(default_factory=dict)
    board_entries: int = 0
    api_matches: bool = False
    api_mismatch: str = ""
    last_run_end_after_start: float = 0.0
    submit_to_finished_p50: float = float("nan")
    submit_to_finished_p99: float = float("nan")
    submit_http_p50: float = float("nan")
    submit_http_p99: float = float("nan")
    page_p50: float = float("nan")
    page_p99: float = float("nan")
    page_samples: int = 0
    leaderboard_p50: float = float("nan")
    leaderboard_p99: float = float("nan")
    leaderboard_samples: int = 0
    probe_errors: int = 0
    version_rps: float = float("nan")
    leaderboard_rps: float = float("nan")
    spectators: SpectatorsReport | None = None
    events: list[tuple[str, float, str]] = field(default_factory=list)
    client_cpu_percent: float = 0.0
    client_loop_lag_p99_ms: float = float("nan")

    @property
    def leaderboard_ratio(self) -> float:
        return self.leaderboard_rps / self.version_rps if self.version_rps else float("nan")

    @property
    def ok(self) -> bool:
        """Nothing lost or duplicated, and every board right: what must hold on any load."""
        spectators = self.spectators
        return (not self.lost and not self.duplicated and self.api_matches
                and self.never_accepted == 0 and self.rejected == 0 and spectators is not None
                and spectators.holding_final == spectators.spectators)


async def _lag_monitor(samples: list[float], every: float = 0.1) -> None:
    while True:
        started = time.monotonic()
        await asyncio.sleep(every)
        samples.append((time.monotonic() - started - every) * 1000)


def _client(url: str, connections: int) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=url, timeout=httpx.Timeout(120.0, connect=30.0), trust_env=False,
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
    )


class Bench:
    """One load run's clients and records."""

    def __init__(self, config: LoadConfig, events: Sequence[Event]) -> None:
        self.config = config
        self.events = list(events)
        self.tag = config.tag or secrets.token_hex(3)
        self.random = random.Random(config.seed)  # noqa: S311 (load timing, not secrets)
        self.clients = [_client(url, 64) for url in config.urls]
        self.tokens: dict[int, str] = {}
        self.submissions: list[Submission] = []
        self.records: dict[int, RunRecord] = {}
        self.listed: list[int] = []
        self.report = LoadReport(config=config, servers=len(config.urls))
        self.higher_is_better = True

    def client_of(self, user: int) -> httpx.AsyncClient:
        return self.clients[user % len(self.clients)]

    def auth(self, user: int) -> dict[str, str]:
        return {"Authorization": f"Token {self.tokens[user]}"}

    async def close(self) -> None:
        await asyncio.gather(*(client.aclose() for client in self.clients))

    # --- set-up ----------------------------------------------------------------------------

    async def check_servers(self) -> None:
        """Every server answers, and the challenge is there; learn its ranking direction."""
        for client in self.clients:
            response = await client.get("/api/version/")
            response.raise_for_status()
            board = await client.get(f"/api/challenges/{self.config.slug}/leaderboard/")
            if board.status_code != 200:
                raise RuntimeError(f"{client.base_url}: challenge {self.config.slug!r} answers "
                                   f"{board.status_code}: seed it first (bench.load.seed)")
            self.higher_is_better = bool(board.json()["higher_is_better"])

    async def sign_up(self) -> None:
        """Register every user and get its token, a few at a time (password hashing is slow)."""
        started = time.monotonic()
        gate = asyncio.Semaphore(self.config.signup_concurrency)

        async def one(user: int) -> None:
            async with gate:
                self.tokens[user] = await self._sign_up_one(user)

        await asyncio.gather(*(one(user) for user in range(self.config.users)))
        self.report.signup_seconds = time.monotonic() - started

    async def _sign_up_one(self, user: int) -> str:
        client = self.client_of(user)
        username = f"load-{self.tag}-{user:04d}"
        password = secrets.token_urlsafe(18)
        credentials = {"username": username, "password": password}
        for path, ok in (("/api/auth/register/", 201), ("/api/auth/token/", 200)):
            for attempt in range(1, 11):
                try:
                    response = await client.post(path, json=credentials)
                except httpx.TransportError:
                    await asyncio.sleep(attempt)
                    continue
                if response.status_code == ok:
                    break
                if response.status_code == 400 and path.endswith("register/") and \
                        "username" in response.json():
                    raise RuntimeError(f"{username} exists: rerun with another tag")
                if response.status_code == 429 or response.status_code >= 500:
                    await asyncio.sleep(float(response.headers.get("Retry-After", attempt)))
                    continue
                raise RuntimeError(f"{path} answered {response.status_code}: {response.text}")
            else:
                raise RuntimeError(f"{path} kept failing for {username}")
        return response.json()["token"]

    # --- the burst -------------------------------------------------------------------------

    async def burst(self) -> None:
        """Submit every run on schedule; probe pages meanwhile; run the events on time."""
        config = self.config
        started = time.monotonic()
        self.burst_started_wall = time.time()
        until = started + config.duration
        page: list[float] = []
        board: list[float] = []
        errors = Counter()

        async def probe(client: httpx.AsyncClient, path: str, samples: list[float]) -> None:
            while time.monotonic() < until:
                began = time.perf_counter()
                try:
                    response = await client.get(path)
                    if response.status_code == 200:
                        samples.append(time.perf_counter() - began)
                    else:
                        errors[path] += 1
                except httpx.TransportError:
                    errors[path] += 1
                await asyncio.sleep(config.probe_pause)

        async def user_runs(user: int) -> None:
            phase = self.random.random()
            for index in range(config.runs_per_user):
                at = started + (index + phase) * config.duration / config.runs_per_user
                await asyncio.sleep(max(0.0, at - time.monotonic()))
                submission = Submission(user=user, index=index,
                                        note=f"load {self.tag} user {user} run {index}")
                self.submissions.append(submission)
                await self.submit(submission)

        async def event(item: Event) -> None:
            await asyncio.sleep(max(0.0, started + item.at * config.duration - time.monotonic()))
            at = time.monotonic() - started
            note = await asyncio.to_thread(item.action)
            self.report.events.append((item.name, at, note))

        probe_clients = [_client(url, 2 * config.probes) for url in config.urls]
        try:
            tasks = [user_runs(user) for user in range(config.users)]
            for i in range(config.probes):
                client = probe_clients[i % len(probe_clients)]
                tasks.append(probe(client, f"/challenges/{config.slug}/", page))
                tasks.append(probe(client, f"/api/challenges/{config.slug}/leaderboard/", board))
            tasks += [event(item) for item in self.events]
            await asyncio.gather(*tasks)
        finally:
            await asyncio.gather(*(client.aclose() for client in probe_clients))
        self.report.burst_seconds = time.monotonic() - started
        report = self.report
        report.page_p50, report.page_p99 = percentile(page, 0.5), percentile(page, 0.99)
        report.leaderboard_p50 = percentile(board, 0.5)
        report.leaderboard_p99 = percentile(board, 0.99)
        report.page_samples, report.leaderboard_samples = len(page), len(board)
        report.probe_errors = sum(errors.values())

    async def submit(self, submission: Submission) -> None:
        """POST the run; after a 5xx or a lost connection, look for it before retrying."""
        client = self.client_of(submission.user)
        path = f"/api/challenges/{self.config.slug}/submissions/"
        payload = {"spec": self.config.spec(submission.user, submission.index),
                   "note": submission.note}
        submission.submitted_at = time.time()
        for attempt in range(1, 8):
            submission.attempts = attempt
            began = time.perf_counter()
            try:
                response = await client.post(path, json=payload, headers=self.auth(submission.user))
            except httpx.TransportError:
                response = None
            if response is not None and response.status_code == 201:
                submission.run = int(response.json()["id"])
                submission.http_seconds = time.perf_counter() - began
                return
            if response is not None and response.status_code == 429:
                submission.throttled += 1
                await asyncio.sleep(min(10.0, float(response.headers.get("Retry-After", 1))))
                continue
            if response is not None and 400 <= response.status_code < 500:
                submission.rejected = f"{response.status_code} {response.text[:300]}"
                return
            found = await self.find_by_note(submission)
            if found is not None:
                submission.run, submission.recovered = found, True
                return
            await asyncio.sleep(0.5 * attempt)

    async def find_by_note(self, submission: Submission) -> int | None:
        for _ in range(5):
            try:
                runs = await self.list_runs(submission.user)
            except (httpx.TransportError, httpx.HTTPStatusError):
                await asyncio.sleep(1.0)
                continue
            return next((int(run["id"]) for run in runs if run["note"] == submission.note), None)
        return None

    async def list_runs(self, user: int) -> list[dict[str, Any]]:
        """Every run of the user on the challenge, from its paginated run list."""
        client = self.client_of(user)
        url: str | None = f"/api/challenges/{self.config.slug}/runs/?page_size=100"
        runs: list[dict[str, Any]] = []
        while url:
            response = await client.get(url, headers=self.auth(user))
            response.raise_for_status()
            page = response.json()
            runs += page["results"]
            url = page["next"]
        return runs

    # --- after the burst -------------------------------------------------------------------

    async def drain(self) -> None:
        """Poll the users' run lists until every accepted run is final (or the timeout)."""
        started = time.monotonic()
        deadline = started + self.config.drain_timeout
        accepted: dict[int, set[int]] = {}
        for submission in self.submissions:
            if submission.run is not None:
                accepted.setdefault(submission.user, set()).add(submission.run)
        pending = set(accepted)
        gate = asyncio.Semaphore(8)

        async def poll(user: int) -> None:
            async with gate:
                try:
                    runs = await self.list_runs(user)
                except (httpx.TransportError, httpx.HTTPStatusError):
                    return  # a server restarting: next round
            for run in runs:
                self.records[int(run["id"])] = RunRecord.from_api(run)
            if all(self.records.get(r) and self.records[r].status in FINAL_STATUSES
                   for r in accepted[user]):
                pending.discard(user)

        while pending and time.monotonic() < deadline:
            await asyncio.gather(*(poll(user) for user in sorted(pending)))
            if pending:
                await asyncio.sleep(self.config.drain_poll)
        # One last full read: the records the board is recomputed from.
        self.listed = []
        for user in range(self.config.users):
            for _ in range(5):
                try:
                    runs = await self.list_runs(user)
                    break
                except (httpx.TransportError, httpx.HTTPStatusError):
                    await asyncio.sleep(1.0)
            else:
                runs = []
            for run in runs:
                self.records[int(run["id"])] = RunRecord.from_api(run)
                self.listed.append(int(run["id"]))
        self.report.drain_seconds = time.monotonic() - started

    async def api_board(self) -> Board:
        entries: list[dict[str, Any]] = []
        url: str | None = f"/api/challenges/{self.config.slug}/leaderboard/?page_size=500"
        while url:  # the board comes a page at a time
            response = await self.clients[0].get(url)
            response.raise_for_status()
            page = response.json()
            entries.extend(page["entries"])
            url = page.get("next")
        return board_key(entries)

    async def throughput(self, path: str) -> float:
        """Requests per second on `path` of the first server, from a few keep-alive loops."""
        config = self.config
        async with _client(config.urls[0], config.throughput_connections) as client:
            await client.get(path)  # warm: connection and caches
            done = 0
            until = time.monotonic() + config.throughput_seconds

            async def loop() -> None:
                nonlocal done
                while time.monotonic() < until:
                    response = await client.get(path)
                    done += response.status_code == 200

            started = time.monotonic()
            await asyncio.gather(*(loop() for _ in range(config.throughput_connections)))
            return done / (time.monotonic() - started)

    def tally(self, api_board: Board, board: Board) -> None:
        """Fill the report from the submissions and the run records."""
        report = self.report
        report.submissions = len(self.submissions)
        accepted = [s.run for s in self.submissions if s.run is not None]
        report.accepted = len(accepted)
        report.recovered = sum(s.recovered for s in self.submissions)
        report.retried_requests = sum(max(0, s.attempts - 1) for s in self.submissions)
        report.throttled = sum(s.throttled for s in self.submissions)
        rejected = [s for s in self.submissions if s.rejected]
        report.rejected = len(rejected)
        report.first_rejection = rejected[0].rejected if rejected else ""
        report.never_accepted = sum(s.run is None and not s.rejected for s in self.submissions)
        statuses = {run: record.status for run, record in self.records.items()}
        report.lost = runs_lost(accepted, statuses)
        report.completed = sum(statuses.get(run) in FINAL_STATUSES for run in set(accepted))
        report.statuses = dict(Counter(statuses.get(run, "missing") for run in set(accepted)))
        report.unacknowledged = sorted(set(self.records) - set(accepted))
        spectator_dupes = report.spectators.duplicated_runs if report.spectators else []
        report.duplicated = sorted(set(runs_duplicated(
            finishes=[], boards=[api_board], listed=self.listed)) | set(spectator_dupes)
            | set(_accepted_twice(self.submissions)))
        finals = [self.records[run] for run in set(accepted) if run in self.records
                  and self.records[run].status in FINAL_STATUSES]
        report.taken_over = sum(record.attempt > 1 for record in finals)
        report.worker_hosts = dict(Counter(record.worker_host.split(".")[0] or "?"
                                           for record in finals))
        report.board_entries = len(board)
        report.api_matches = api_board == board
        report.api_mismatch = "" if report.api_matches else _first_difference(api_board, board)
        by_run = {s.run: s for s in self.submissions if s.run is not None}
        waits = [record.finished_at - by_run[record.id].submitted_at for record in finals
                 if record.finished_at is not None]
        report.submit_to_finished_p50 = percentile(waits, 0.5)
        report.submit_to_finished_p99 = percentile(waits, 0.99)
        posts = [s.http_seconds for s in self.submissions if s.http_seconds is not None]
        report.submit_http_p50, report.submit_http_p99 = percentile(posts, 0.5), percentile(
            posts, 0.99)


def _accepted_twice(submissions: Sequence[Submission]) -> list[int]:
    counts = Counter(s.run for s in submissions if s.run is not None)
    return [run for run, count in counts.items() if count > 1]


def _first_difference(api: Board, recomputed: Board) -> str:
    for place, (left, right) in enumerate(zip(api, recomputed, strict=False), start=1):
        if left != right:
            return f"rank {place}: API {left}, records {right}"
    return f"API has {len(api)} entries, the records rank {len(recomputed)}"


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _ws_url(url: str, slug: str) -> str:
    return url.replace("http://", "ws://", 1).replace("https://", "wss://", 1).rstrip("/") + \
        f"/ws/challenges/{slug}/"


async def _receive(conn: Any, timeout: float, child: Any) -> Any:
    """Wait for the spectator process's next message without blocking the event loop."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await asyncio.to_thread(conn.poll, 0.5):
            return conn.recv()
        if not child.is_alive():
            raise RuntimeError(f"the spectator process exited with {child.exitcode}")
    raise TimeoutError(f"the spectator process sent nothing in {timeout:.0f} s")


async def run_load(config: LoadConfig, events: Sequence[Event] = (),
                   should_stop: Callable[[], str | None] | None = None,
                   say: Callable[[str], None] = lambda _line: None) -> LoadReport:
    """Run one load test (see the module docstring); `should_stop` returning a reason aborts;
    `say` hears a line at the end of each phase."""
    main = asyncio.create_task(_run(config, events, say))
    reason: str | None = None

    async def watchdog() -> None:
        nonlocal reason
        while should_stop is not None and not main.done():
            reason = should_stop()
            if reason:
                main.cancel()
                return
            await asyncio.sleep(0.5)

    guard = asyncio.create_task(watchdog())
    try:
        return await main
    except asyncio.CancelledError as exc:
        if reason:
            raise LoadAborted(reason) from exc
        raise
    finally:
        guard.cancel()


async def _run(config: LoadConfig, events: Sequence[Event],
               say: Callable[[str], None]) -> LoadReport:
    lags: list[float] = []
    monitor = asyncio.create_task(_lag_monitor(lags))
    cpu_started, wall_started = _cpu_seconds(), time.monotonic()
    bench = Bench(config, events)
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    child = context.Process(
        target=spectate, name="load-spectators", daemon=True,
        args=(theirs, SpectatorsConfig(
            ws_urls=tuple(_ws_url(url, config.slug) for url in config.urls),
            origins=tuple(url.rstrip("/") for url in config.urls),
            count=config.spectators, deflate=config.deflate, protocol=config.protocol)),
    )
    try:
        await bench.check_servers()
        child.start()
        _, connect = await _receive(ours, 600, child)
        bench.report.connect = connect
        say(f"{connect.connected} of {connect.spectators} spectators have their snapshot "
            f"({connect.seconds:.0f} s)")
        await bench.sign_up()
        say(f"{config.users} builders signed up ({bench.report.signup_seconds:.0f} s); "
            f"the burst begins")
        await bench.burst()
        accepted = sum(s.run is not None for s in bench.submissions)
        say(f"burst over: {accepted} of {len(bench.submissions)} runs accepted; draining")
        await bench.drain()
        say(f"drained in {bench.report.drain_seconds:.0f} s; waiting for the spectators")
        # From every run record of the bench's users, including runs nobody got a 201 for:
        # they rank like any other.
        board = recompute_leaderboard(bench.records.values(),
                                      higher_is_better=bench.higher_is_better)
        api_board = await bench.api_board()
        ends = [r.finished_at for r in bench.records.values() if r.finished_at is not None]
        last_end = max(ends, default=time.time())
        bench.report.last_run_end_after_start = last_end - bench.burst_started_wall
        ours.send(("final", board, last_end, config.tail_timeout))
        _, bench.report.spectators = await _receive(ours, config.tail_timeout + 120, child)
        say("spectators done; measuring throughput")
        bench.tally(api_board, board)
        version, leaderboard = [], []
        for _ in range(2):
            version.append(await bench.throughput("/api/version/"))
            leaderboard.append(await bench.throughput(
                f"/api/challenges/{config.slug}/leaderboard/"))
        bench.report.version_rps = sum(version) / len(version)
        bench.report.leaderboard_rps = sum(leaderboard) / len(leaderboard)
        return bench.report
    finally:
        monitor.cancel()
        bench.report.client_cpu_percent = (
            (_cpu_seconds() - cpu_started) / max(1e-9, time.monotonic() - wall_started) * 100)
        bench.report.client_loop_lag_p99_ms = percentile(lags, 0.99)
        if child.is_alive():
            try:
                ours.send(("stop",))
            except OSError:
                pass
            child.join(15)
            if child.is_alive():
                child.terminate()
                child.join(5)
        await bench.close()
