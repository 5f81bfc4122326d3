"""Start `make run` as a user would, check it serves, stop it, and check nothing is left.

Passes when `make run` says it is serving without an ERROR line before that (its own
readiness checks must not log any), /healthz then answers 200 with a live worker, the home
page answers, a WebSocket gets an answer, and after SIGTERM to `make` every process that
`make run` started has exited.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def descendants(root: int) -> set[int]:
    """Every live process below `root`, by walking /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z":
                parents[int(entry.name)] = int(fields[1])
    found, frontier = set(), {root}
    while frontier:
        children = {pid for pid, ppid in parents.items() if ppid in frontier} - found
        found |= children
        frontier = children
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def main() -> int:
    port = free_port()
    (ROOT / "var").mkdir(exist_ok=True)
    log = open(ROOT / "var" / "smoke-run.log", "wb")
    make = subprocess.Popen(["make", "run"],  # noqa: S607 (the user's make, as a user runs it)
                            cwd=ROOT, env=dict(os.environ, PORT=str(port)),
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    seen: set[int] = set()
    ok = False
    started = time.monotonic()
    try:
        deadline = time.monotonic() + 240
        output = ""
        while time.monotonic() < deadline and make.poll() is None:
            seen |= descendants(make.pid)
            output = (ROOT / "var" / "smoke-run.log").read_text(errors="replace")
            if "descent: serving on" in output:
                break
            time.sleep(0.5)
        print(f"smoke: serving after {time.monotonic() - started:.1f} s")
        errors = [line for line in output.splitlines() if " ERROR " in f" {line} "]
        if "descent: serving on" not in output or errors:
            print(f"smoke: not serving, or ERROR lines before it: {errors}")
            return 1
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as r:
            body = json.load(r)
        print(f"smoke: /healthz: {body}")
        if body.get("status") != "ok":
            return 1
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as r:
            home = r.read().decode()
        print(f"smoke: the home page answered {len(home)} bytes")
        if "Start here" not in home:
            return 1
        seen |= descendants(make.pid)

        sys.path.insert(0, str(ROOT))
        from websockets.sync.client import connect

        with connect(f"ws://127.0.0.1:{port}/ws/ping/", origin=f"http://127.0.0.1:{port}",
                     open_timeout=10) as ws:
            ws.send(json.dumps({"type": "ping", "id": 1}))
            answer = json.loads(ws.recv(timeout=10))
        print(f"smoke: WebSocket answered {answer}")
        ok = answer == {"type": "pong", "id": 1}
        seen |= descendants(make.pid)
    finally:
        make.send_signal(signal.SIGTERM)
        try:
            make.wait(60)
        except subprocess.TimeoutExpired:
            print("smoke: make did not exit within 60 s of SIGTERM")
            ok = False
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(alive(pid) for pid in seen):
            time.sleep(0.5)
        left = sorted(pid for pid in seen if alive(pid))
        if left:
            ok = False
            for pid in left:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
                print(f"smoke: still alive after stop: {pid} {cmd.decode(errors='replace')}")
                os.kill(pid, signal.SIGKILL)
        print(f"smoke: {len(seen)} processes started by make run; {len(left)} left alive")
        log.close()
        if not ok:
            print((ROOT / "var" / "smoke-run.log").read_text(errors="replace")[-5000:])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
