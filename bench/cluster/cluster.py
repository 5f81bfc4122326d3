"""Descent on several hosts — network namespaces on this machine — under a burst, with failures.

Hosts (each a network namespace with its own address on `<subnet>.0/24`, and its own hostname):

| host | runs | address |
| --- | --- | --- |
| db | PostgreSQL: a cluster of its own (`initdb`, `pg_ctl`) on a data directory made here | .10 |
| redis | redis-server, `appendonly yes`, its own directory | .11 |
| web1, web2 | Uvicorn serving `descent.asgi:application` on port 8000 | .21, .22 |
| proxy | HAProxy on port 80: round robin over web1, web2; no stickiness; WebSocket upgrade | .30 |
| work1, work2 | a Celery worker each | .41, .42 |
| beat | Celery beat, once | .50 |

Everything binds to its namespace's address, so every byte between web, workers, Redis and
PostgreSQL crosses a veth and the bridge. The load generator (`bench.load.generator`) runs in
the root namespace and reaches the site only through the proxy. `run_cluster` kills web1 and
work1 with SIGKILL mid-burst and reports what became of everything; it tears it all down
(processes, namespaces, links, data directories) whatever happens, and removes what a crashed
earlier run of the same prefix left behind before it starts.
"""

from __future__ import annotations

import asyncio
import glob
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench.cluster.netns import Network, exclusive, remove_leftovers
from bench.environment import BENCH_DIR, ROOT
from bench.load.generator import Event, LoadConfig, LoadReport, run_load
from descent.stack.servers import wait_for_port
from descent.stack.supervisor import Supervisor, group_alive

LAYOUT = {"db": 10, "redis": 11, "web1": 21, "web2": 22, "proxy": 30, "work1": 41, "work2": 42,
          "beat": 50}
WEB_PORT = 8000
DATABASE = "descent"


def postgres_bin() -> Path:
    """The newest /usr/lib/postgresql/<version>/bin that has initdb and pg_ctl."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda path: int(Path(path).parent.parent.name))
    if not found:
        raise RuntimeError("no /usr/lib/postgresql/<version>/bin/initdb: install PostgreSQL "
                           "(apt-get install -y postgresql)")
    return Path(found[-1]).parent


def preflight() -> list[str]:
    """What this machine lacks to build the hosts (empty when nothing)."""
    missing = []
    if os.geteuid() != 0:
        missing.append("root (network namespaces need CAP_NET_ADMIN)")
    for tool, how in (("ip", "iproute2"), ("unshare", "util-linux"), ("runuser", "util-linux"),
                      ("haproxy", "apt-get install -y haproxy"),
                      ("redis-server", "apt-get install -y redis-server")):
        if shutil.which(tool) is None:
            missing.append(f"{tool} ({how})")
    try:
        postgres_bin()
    except RuntimeError as exc:
        missing.append(str(exc))
    return missing


@dataclass(frozen=True)
class ClusterConfig:
    """The hosts' network and the burst to run through the proxy."""

    prefix: str = "dsc"
    subnet: str = "10.77.0"
    users: int = 20
    runs_per_user: int = 5
    duration: float = 40.0
    spectators: int = 50
    epochs: int = 200
    worker_concurrency: int = 1
    kill: bool = True
    kill_web_at: float = 0.4  # fractions of the burst
    kill_worker_at: float = 0.5
    heartbeat_stale_seconds: int = 10  # how soon the sweeper takes over a dead worker's run
    tail_timeout: float = 60.0
    drain_timeout: float = 300.0
    logs: Path = BENCH_DIR / "cluster-logs"


@dataclass
class ClusterOutcome:
    """The load report, and what the failures did."""

    report: LoadReport
    killed: dict[str, str] = field(default_factory=dict)  # host → note
    in_flight_on_work1: list[int] = field(default_factory=list)
    # run → (status, attempt, worker host) after the drain, for the runs work1 was training
    in_flight_outcomes: dict[int, tuple[str, int, str]] = field(default_factory=dict)
    setup_seconds: float = 0.0


def haproxy_config(*, proxy: str, webs: list[str], public_host: str) -> str:
    """HAProxy in front of the ASGI servers: round robin, no stickiness, WebSocket upgrade.

    HTTP mode passes `Connection: Upgrade` through and then tunnels the socket (`timeout
    tunnel` bounds an idle one). A server that refuses connections is retried on another
    (`retries` + `redispatch`: only connection failures are retried, so a POST is never sent
    twice) and taken out by the health check within two seconds.
    """
    servers = "\n".join(f"    server web{i} {address}:{WEB_PORT}"
                        for i, address in enumerate(webs, start=1))
    return textwrap.dedent(f"""\
        global
            # Two descriptors a connection (client and server side) must fit the fd limit.
            maxconn 9000
        defaults
            mode http
            timeout connect 5s
            timeout client 120s
            timeout server 120s
            timeout tunnel 1h
            timeout http-request 30s
            retries 3
            option redispatch
        frontend public
            bind {proxy}:80
            option forwardfor
            http-request set-header X-Forwarded-Proto http
            default_backend web
        backend web
            balance roundrobin
            option httpchk
            http-check send meth GET uri /api/version/ ver HTTP/1.1 hdr Host {public_host}
            default-server check inter 1s fall 2 rise 2
        """) + servers + "\n"


class Cluster:
    """The hosts of one run: build, start, break on purpose, tear down."""

    def __init__(self, config: ClusterConfig) -> None:
        self.config = config
        self.network = Network(prefix=config.prefix, subnet=config.subnet)
        self.supervisor = Supervisor(dict(os.environ))
        self.workdir = Path()
        self.pg_bin = postgres_bin()
        self.killed: dict[str, str] = {}
        self.in_flight_on_work1: list[int] = []
        self.env: dict[str, str] = {}

    def address(self, host: str) -> str:
        return f"{self.config.subnet}.{LAYOUT[host]}"

    @property
    def public_url(self) -> str:
        return f"http://{self.address('proxy')}"

    @property
    def database_url(self) -> str:
        return f"postgres://postgres@{self.address('db')}:5432/{DATABASE}"

    # --- bring-up --------------------------------------------------------------------------

    def start(self) -> None:
        """Build the network, start every host's process, migrate and seed; wait till ready."""
        self.remove_leftovers()
        self.workdir = Path(tempfile.mkdtemp(prefix=f"{self.config.prefix}-cluster-"))
        self.workdir.chmod(0o755)  # postgres must reach its data directory inside
        (self.workdir / "logs").mkdir()
        self.network.create(LAYOUT)
        self.start_postgres()
        self.start_redis()
        self.env = self.django_env()
        self.supervisor.env = self.env
        self.run_in("web1", "migrate", [sys.executable, "manage.py", "migrate", "--noinput",
                                        "-v", "0"])
        self.run_in("web1", "seed", [sys.executable, "-m", "bench.load.seed", "--daily-quota",
                                     str(self.config.runs_per_user)])
        # Each host runs what docs/deploy.md says it runs: `python -m descent.stack <role>`.
        stack = [sys.executable, "-m", "descent.stack"]
        for web in ("web1", "web2"):
            self.start_in(web, [*stack, "web", "--host", self.address(web), "--port",
                                str(WEB_PORT), "--graceful-shutdown", "5", "--backlog", "4096"])
        config_file = self.workdir / "haproxy.cfg"
        config_file.write_text(haproxy_config(
            proxy=self.address("proxy"), webs=[self.address("web1"), self.address("web2")],
            public_host=self.address("proxy")))
        self.start_in("proxy", ["haproxy", "-db", "-f", str(config_file)])
        for worker in ("work1", "work2"):
            self.start_in(worker, [*stack, "worker", "--hostname", f"{worker}@%h",
                                   "--concurrency", str(self.config.worker_concurrency),
                                   "--loglevel", "WARNING"])
        (self.workdir / "beat").mkdir()
        self.start_in("beat", [*stack, "beat", "--schedule",
                               str(self.workdir / "beat" / "schedule"), "--loglevel", "WARNING"])
        for web in ("web1", "web2"):
            self.wait_port(web, WEB_PORT, timeout=60)
        self.wait_port("proxy", 80, timeout=30)
        self.wait_http(f"{self.public_url}/api/version/")
        self.wait_workers(["work1@work1", "work2@work2"])

    def remove_leftovers(self) -> None:
        removed = remove_leftovers(self.config.prefix)
        for leftover in glob.glob(f"/tmp/{self.config.prefix}-cluster-*"):
            shutil.rmtree(leftover, ignore_errors=True)
            removed.append(leftover)
        if removed:
            print(f"bench-cluster: removed leftovers of an earlier run: {', '.join(removed)}",
                  flush=True)

    def start_postgres(self) -> None:
        data = self.workdir / "db"
        data.mkdir()
        shutil.chown(data, "postgres", "postgres")
        as_postgres = ["runuser", "-u", "postgres", "--"]
        self.run_in("db", "initdb", [*as_postgres, str(self.pg_bin / "initdb"), "-D", str(data),
                                     "-U", "postgres", "-A", "trust", "--no-sync"],
                    hostname=False, django=False)
        with (data / "pg_hba.conf").open("a") as hba:
            # The test network only, and only inside this machine: trust is enough here.
            hba.write(f"host all all {self.config.subnet}.0/24 trust\n")
        options = (f"-c listen_addresses={self.address('db')} -c port=5432 "
                   f"-c unix_socket_directories={data} -c max_connections=200")
        self.run_in("db", "pg_ctl", [*as_postgres, str(self.pg_bin / "pg_ctl"), "-D", str(data),
                                     "-l", str(data / "postgresql.log"), "-w", "-t", "60",
                                     "-o", options, "start"], hostname=False, django=False)
        self.run_in("db", "createdb", [*as_postgres, str(self.pg_bin / "createdb"), "-h",
                                       self.address("db"), "-U", "postgres", DATABASE],
                    hostname=False, django=False)

    def stop_postgres(self) -> None:
        data = self.workdir / "db"
        if not (data / "postmaster.pid").exists():
            return
        subprocess.run(self.network.command("db", [
            "runuser", "-u", "postgres", "--", str(self.pg_bin / "pg_ctl"), "-D", str(data),
            "-m", "fast", "-w", "-t", "30", "stop"], hostname=False), capture_output=True)

    def start_redis(self) -> None:
        data = self.workdir / "redis"
        data.mkdir()
        self.start_in("redis", [
            shutil.which("redis-server") or "redis-server", "--bind", self.address("redis"),
            "--port", "6379", "--protected-mode", "no", "--appendonly", "yes",
            "--appendfsync", "everysec", "--save", "", "--dir", str(data),
            "--daemonize", "no"])
        self.wait_port("redis", 6379, timeout=15)

    def django_env(self) -> dict[str, str]:
        """The environment of every Django process, on any host (docs/deploy.md lists it)."""
        proxy = self.address("proxy")
        return dict(
            os.environ,
            DJANGO_SETTINGS_MODULE="descent.settings.bench",
            SECRET_KEY=secrets.token_urlsafe(64),
            DEBUG="0",
            ALLOWED_HOSTS=",".join([proxy, self.address("web1"), self.address("web2")]),
            CSRF_TRUSTED_ORIGINS=f"http://{proxy}",
            FORWARDED_ALLOW_IPS=proxy,  # Uvicorn trusts X-Forwarded-* from the proxy only
            DATABASE_URL=self.database_url,
            REDIS_URL=f"redis://{self.address('redis')}:6379/0",
            RUN_HEARTBEAT_STALE_SECONDS=str(self.config.heartbeat_stale_seconds),
            DESCENT_VAR_DIR=str(self.workdir / "var"),
            LOG_LEVEL="WARNING",
            PYTHONUNBUFFERED="1",
        )

    def start_in(self, host: str, args: list[str]) -> None:
        self.supervisor.start(host, self.network.command(host, args),
                              log=self.workdir / "logs" / f"{host}.log")

    def run_in(self, host: str, name: str, args: list[str], *, hostname: bool = True,
               django: bool = True) -> None:
        log = self.workdir / "logs" / f"{name}.log"
        with log.open("ab") as out:
            # Non-Django tools run as other users (postgres), who may not enter the worktree.
            result = subprocess.run(self.network.command(host, args, hostname=hostname),
                                    cwd=ROOT if django else self.workdir,
                                    env=self.env if django else None, stdout=out,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        if result.returncode != 0:
            raise RuntimeError(f"{name} on {host} failed ({result.returncode}):\n"
                               + log.read_text(errors="replace")[-2000:])

    def wait_port(self, host: str, port: int, *, timeout: float) -> None:
        try:
            wait_for_port(port, host=self.address(host), timeout=timeout,
                          alive=lambda: self.problem() is None)
        except RuntimeError as exc:
            raise RuntimeError(f"while waiting for {host}:{port}: {self.problem()}") from exc

    def wait_http(self, url: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            if self.problem():
                raise RuntimeError(f"while waiting for {url}: {self.problem()}")
            time.sleep(0.3)
        raise TimeoutError(f"{url} did not answer 200 within {timeout:.0f} s")

    def wait_workers(self, names: list[str], timeout: float = 60.0) -> None:
        script = ("import sys; from workers.celery import app; "
                  "r = app.control.ping(destination=sys.argv[1:], timeout=1.0); "
                  "sys.exit(0 if len(r) == len(sys.argv) - 1 else 1)")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.problem():
                raise RuntimeError(f"while waiting for the workers: {self.problem()}")
            if subprocess.run([sys.executable, "-c", script, *names], cwd=ROOT, env=self.env,
                              capture_output=True).returncode == 0:
                return
            time.sleep(0.5)
        raise TimeoutError(f"the workers {names} did not answer a ping in {timeout:.0f} s")

    # --- breaking things on purpose --------------------------------------------------------

    def kill(self, host: str) -> str:
        """SIGKILL every process the host's child leads (a worker's pool children too)."""
        child = next(c for c in self.supervisor.children if c.name == host)
        os.killpg(child.pgid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while group_alive(child.pgid) and time.monotonic() < deadline:
            time.sleep(0.02)
        self.killed[host] = f"SIGKILL to process group {child.pgid}"
        return self.killed[host]

    def runs_in_flight(self, worker: str) -> list[int]:
        import psycopg

        with psycopg.connect(self.database_url, connect_timeout=5) as connection:
            rows = connection.execute(
                "SELECT id FROM challenges_run WHERE status = 'running' AND worker_host = %s",
                [worker]).fetchall()
        return [row[0] for row in rows]

    def kill_busy_worker(self, worker: str = "work1", wait: float = 20.0) -> str:
        """Kill `worker` while it trains a run (waiting up to `wait` s for one to start)."""
        deadline = time.monotonic() + wait
        in_flight = self.runs_in_flight(worker)
        while not in_flight and time.monotonic() < deadline:
            time.sleep(0.05)
            in_flight = self.runs_in_flight(worker)
        note = self.kill(worker)
        self.in_flight_on_work1 = in_flight
        self.killed[worker] = note = f"{note}, training runs {in_flight or 'none'}"
        return note

    def outcomes(self, runs: list[int]) -> dict[int, tuple[str, int, str]]:
        import psycopg

        if not runs:
            return {}
        with psycopg.connect(self.database_url, connect_timeout=5) as connection:
            rows = connection.execute(
                "SELECT id, status, attempt, worker_host FROM challenges_run "
                "WHERE id = ANY(%s)", [runs]).fetchall()
        return {row[0]: (row[1], row[2], row[3]) for row in rows}

    def problem(self) -> str | None:
        """Why the run must stop: a signal, a lost parent, or a host that died unasked."""
        if self.supervisor.stopping:
            return "told to stop"
        for child in self.supervisor.children:
            if child.name not in self.killed and child.process.poll() is not None:
                return (f"{child.name} exited with {child.process.returncode} (see "
                        f"{self.config.logs}/{child.name}.log)")
        return None

    # --- tear-down -------------------------------------------------------------------------

    def stop(self) -> list[str]:
        """Stop everything, remove the namespaces and links, keep the logs, drop the data."""
        killed = self.supervisor.stop()
        if self.workdir != Path():
            self.stop_postgres()
        self.network.destroy()
        if self.workdir != Path() and self.workdir.exists():
            logs = self.config.logs
            shutil.rmtree(logs, ignore_errors=True)
            shutil.copytree(self.workdir / "logs", logs, dirs_exist_ok=True)
            postgres_log = self.workdir / "db" / "postgresql.log"
            if postgres_log.exists():
                shutil.copy(postgres_log, logs / "postgresql.log")
            shutil.rmtree(self.workdir, ignore_errors=True)
        return killed


def run_cluster(config: ClusterConfig) -> ClusterOutcome:
    """Build the hosts, run the burst through the proxy with the kills, tear it all down."""
    missing = preflight()
    if missing:
        raise RuntimeError("the several-hosts bench needs: " + "; ".join(missing))
    with exclusive(config.prefix):
        cluster = Cluster(config)
        started = time.monotonic()
        try:
            cluster.start()
            setup_seconds = time.monotonic() - started
            events = []
            if config.kill:
                events = [Event(config.kill_web_at, "SIGKILL web1", lambda: cluster.kill("web1")),
                          Event(config.kill_worker_at, "SIGKILL work1 while it trains",
                                cluster.kill_busy_worker)]
            load = LoadConfig(
                urls=(cluster.public_url,), users=config.users,
                runs_per_user=config.runs_per_user, duration=config.duration,
                spectators=config.spectators, epochs=config.epochs,
                tail_timeout=config.tail_timeout, drain_timeout=config.drain_timeout)
            report = asyncio.run(run_load(load, events, should_stop=cluster.problem))
            return ClusterOutcome(
                report=report, killed=dict(cluster.killed),
                in_flight_on_work1=cluster.in_flight_on_work1,
                in_flight_outcomes=cluster.outcomes(cluster.in_flight_on_work1),
                setup_seconds=setup_seconds)
        finally:
            killed = cluster.stop()
            if killed:
                print(f"bench-cluster: had to SIGKILL {', '.join(killed)} at the end",
                      file=sys.stderr)
