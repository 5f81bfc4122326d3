"""Run a set of child processes; stop them all, and their children, on exit or signal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Child:
    name: str
    process: subprocess.Popen

    @property
    def pgid(self) -> int:
        # Each child leads a session of its own, so its process group id is its pid, and the
        # group holds everything it forks (Celery's pool processes, for one).
        return self.process.pid


def _living_members(pgid: int) -> list[int] | None:
    """List the group's processes that are not zombies (Linux /proc), or None without /proc."""
    proc = Path("/proc")
    if not (proc / "self" / "stat").exists():
        return None
    members = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Fields after the parenthesised command name: state, ppid, pgrp, ...
        state, _ppid, group = stat.rsplit(")", 1)[1].split()[:3]
        if int(group) == pgid and state != "Z":
            members.append(int(entry.name))
    return members


def group_alive(pgid: int) -> bool:
    """Tell whether any live process (zombies excluded) is left in the process group."""
    members = _living_members(pgid)
    if members is not None:
        return bool(members)
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class Supervisor:
    """Start children in their own sessions; stop every one of them, whatever happens."""

    env: dict[str, str]
    children: list[Child] = field(default_factory=list)
    signalled: bool = False
    parent: int = field(default_factory=os.getppid)

    @property
    def stopping(self) -> bool:
        """Tell whether to stop: a signal came, or whoever started us is gone.

        GNU make does not pass SIGTERM on to its recipe, so `kill <make>` would orphan us: a
        changed parent pid means our starter exited, and we stop as if signalled.
        """
        return self.signalled or os.getppid() != self.parent

    def start(self, name: str, args: Sequence[str], *, log: Path | None = None,
              env: dict[str, str] | None = None) -> Child:
        """Start a child in a session of its own; its output goes to `log` if given."""
        out = log.open("ab") if log is not None else None
        try:
            process = subprocess.Popen(
                list(args), env=env if env is not None else self.env, start_new_session=True,
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT if out else None,
            )
        finally:
            if out is not None:
                out.close()  # the child holds its own descriptor
        child = Child(name, process)
        self.children.append(child)
        return child

    def run_step(self, name: str, args: Sequence[str]) -> int | None:
        """Run a set-up command (migrate, seed) to its end; None if a signal came first.

        The step runs in a session of its own, as every child does, so the terminal's Ctrl-C
        reaches only us: we then leave it to `stop`, which ends it with the rest, instead of
        reading its death by SIGINT as a failed set-up.
        """
        if self.stopping:
            return None
        child = self.start(name, args)
        while child.process.poll() is None:
            if self.stopping:
                return None  # still in `children`: `stop` ends it
            time.sleep(0.05)
        self.children.remove(child)
        return child.process.returncode

    def install_signal_handlers(self) -> None:
        """Turn SIGINT and SIGTERM into an orderly stop of every child."""

        def handler(signum: int, _frame: object) -> None:
            self.signalled = True

        signal.signal(signal.SIGINT, handler)
        signal.signal(signal.SIGTERM, handler)

    def dead_child(self) -> Child | None:
        """Return a child that exited on its own, if any."""
        for child in self.children:
            if child.process.poll() is not None:
                return child
        return None

    def wait(self, poll: float = 0.2) -> int:
        """Block until told to stop (exit 0) or a child dies on its own (exit 1)."""
        while not self.stopping:
            dead = self.dead_child()
            if dead is not None:
                print(f"descent: {dead.name} exited with {dead.process.returncode}; stopping",
                      file=sys.stderr)
                return 1
            time.sleep(poll)
        return 0

    def stop(self, grace: float = 15.0) -> list[str]:
        """Stop children in reverse start order: SIGTERM, then SIGKILL after `grace` s.

        Return the names of children whose process group had to be killed.
        """
        killed: list[str] = []
        for child in reversed(self.children):
            if group_alive(child.pgid):
                try:
                    os.killpg(child.pgid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + grace
        for child in reversed(self.children):
            while group_alive(child.pgid) and time.monotonic() < deadline:
                child.process.poll()
                time.sleep(0.1)
            if group_alive(child.pgid):
                killed.append(child.name)
                try:
                    os.killpg(child.pgid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            try:
                child.process.wait(5)
            except subprocess.TimeoutExpired:
                pass
            # SIGKILL is delivered, not yet acted on: return only once the group is gone.
            settled = time.monotonic() + 5
            while group_alive(child.pgid) and time.monotonic() < settled:
                time.sleep(0.02)
        return killed
