"""Ctrl-C at any moment of `make run`, set-up included, stops everything it started.

`python -m descent.stack run` is started as a terminal would (a session of its own, so a
SIGINT to its group is the Ctrl-C), against a fresh SQLite file and its own embedded Redis in
a temporary var/ directory. Every process it starts inherits a marker in its environment: once
`run` has returned, no living process may carry it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from descent.stack.redis_server import free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent.parent


def marked_processes(mark: str) -> list[tuple[int, str]]:
    """Living processes (zombies excluded) whose environment carries `mark`: (pid, cmdline)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            environ = Path(f"/proc/{entry}/environ").read_bytes()
            state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if f"DESCENT_STACK_MARK={mark}".encode() in environ and state != "Z":
            found.append((int(entry), cmdline))
    return found


class Stack:
    """One `make run`, its output collected line by line."""

    def __init__(self, var_dir: Path) -> None:
        self.mark = uuid.uuid4().hex
        env = {key: value for key, value in os.environ.items()
               if key not in ("REDIS_URL", "DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
        env.update(DESCENT_VAR_DIR=str(var_dir), DESCENT_STACK_MARK=self.mark,
                   DATABASE_URL=f"sqlite:///{var_dir / 'db.sqlite3'}", PYTHONUNBUFFERED="1")
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "descent.stack", "run", "--port", str(free_port()),
             "--concurrency", "1"],
            cwd=ROOT, env=env, start_new_session=True, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)

    def wait_until(self, condition: Callable[[], bool], what: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"never saw {what}:\n{''.join(self.lines)[-3000:]}")
            time.sleep(0.02)

    def running(self, word: str) -> bool:
        return any(word in cmdline for _pid, cmdline in marked_processes(self.mark))

    def ctrl_c(self) -> int:
        os.killpg(self.process.pid, signal.SIGINT)
        return self.process.wait(timeout=90)

    def kill(self) -> None:
        for pid, _cmdline in marked_processes(self.mark):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


@pytest.mark.parametrize("moment", ["migrating", "servers starting", "serving"])
def test_ctrl_c_at_any_moment_of_make_run_stops_everything_before_it_returns(
        tmp_path_factory, moment):
    var_dir = tmp_path_factory.getbasetemp() / "stack-interrupt"  # shared: migrate once
    var_dir.mkdir(exist_ok=True)
    stack = Stack(var_dir)
    try:
        if moment == "migrating":
            stack.wait_until(lambda: stack.running("manage.py"), "a set-up step")
        elif moment == "servers starting":
            stack.wait_until(lambda: stack.running("uvicorn"), "the ASGI server start")
        else:
            stack.wait_until(lambda: any("serving on" in line for line in stack.lines),
                             "the URL")
        code = stack.ctrl_c()
        left = marked_processes(stack.mark)
    finally:
        stack.kill()
    output = "".join(stack.lines)
    assert left == [], f"left running after `run` returned: {left}\n{output[-3000:]}"
    assert code == 0, output[-3000:]
    assert "set-up step" not in output and "Traceback" not in output, output[-3000:]
    assert "had to SIGKILL" not in output, output[-3000:]
    assert output.rstrip().endswith("descent: stopped"), output[-3000:]
