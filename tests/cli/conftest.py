"""The `descent` command as a user runs it: `.venv/bin/descent` in a subprocess.

Stack tests share one real Celery worker and one Uvicorn server per module (the database is
flushed between tests; the processes read it live). The token store lives in a temporary
directory named by DESCENT_CONFIG_DIR, so no test touches the user's own.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from rest_framework.authtoken.models import Token

from tests.support import stack

DESCENT = Path(sys.executable).parent / "descent"


@pytest.fixture
def config_dir(tmp_path, monkeypatch) -> Path:
    directory = tmp_path / "descent-config"
    monkeypatch.setenv("DESCENT_CONFIG_DIR", str(directory))
    monkeypatch.delenv("DESCENT_SERVER", raising=False)
    return directory


def descent(*args: object, input: str | None = None, timeout: float = 180,
            **env: str) -> subprocess.CompletedProcess:
    """Run `.venv/bin/descent ARGS` to the end; return its exit status and output."""
    return subprocess.run([str(DESCENT), *map(str, args)], input=input, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **env},
                          stdin=None if input is not None else subprocess.DEVNULL)


class Running:
    """A `descent` process whose stderr is read line by line while it runs."""

    def __init__(self, *args: object) -> None:
        self.process = subprocess.Popen(
            [str(DESCENT), *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL, text=True, env={**os.environ, "COLUMNS": "160"},
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.stderr: list[str] = []
        self.stdout: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=lambda: self.stdout.extend(self.process.stdout),
                         daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.put(line)

    def wait_for_line(self, predicate: Callable[[str], bool], timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(0.05, deadline - time.monotonic()))
            except queue.Empty:
                break
            self.stderr.append(line)
            if predicate(line):
                return line
        raise AssertionError(f"no such line on stderr within {timeout} s; got {self.stderr}")

    def finish(self, timeout: float = 180.0) -> tuple[int, str, str]:
        """Wait for the exit; return (status, stdout, stderr)."""
        self.process.wait(timeout)
        time.sleep(0.2)  # let the reader threads drain the pipes
        while not self.lines.empty():
            self.stderr.append(self.lines.get())
        return self.process.returncode, "".join(self.stdout), "".join(self.stderr)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture
def running() -> Iterator[Callable[..., Running]]:
    started: list[Running] = []

    def start(*args: object) -> Running:
        started.append(Running(*args))
        return started[-1]

    yield start
    for process in started:
        process.stop()


@pytest.fixture(scope="module")
def worker(django_db_setup) -> Iterator[str]:
    """One real Celery worker for the module's tests."""
    with stack.celery_worker(concurrency=1) as (_process, hostname):
        yield hostname


@pytest.fixture(scope="module")
def server(django_db_setup) -> Iterator[str]:
    """One real Uvicorn server for the module's tests; yields its URL."""
    with stack.asgi_server() as (_process, port):
        yield f"http://127.0.0.1:{port}"


def log_in(user, url: str) -> str:
    """Store a token for `user` on `url` as `descent login` would; return the token."""
    from descent.cli import config

    token, _ = Token.objects.get_or_create(user=user)
    config.login_save(server=url, token=token.key, username=user.username)
    return token.key
