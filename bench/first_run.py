"""Time a new user's first `make run`: fresh clone -> the home page answering.

    python bench/first_run.py                      # this checkout's HEAD, cold then warm
    python bench/first_run.py --ref main --ref HEAD
    python bench/first_run.py --mode warm          # the machine's own pip cache only

For each git ref it clones this repository into a temporary folder and runs `make run` there as
a user would (embedded SQLite and Redis: DATABASE_URL and REDIS_URL unset, a free PORT), then
polls `/` until it answers 200 and stops `make` with SIGTERM. It prints, per run: seconds until
the virtual environment was installed (the stamp `.venv/.installed` appears), seconds until the
home page answered, the size of `.venv` and its package count.

"cold" gives pip an empty cache of its own (PIP_CACHE_DIR in a temporary folder), so every
wheel is downloaded; "warm" runs a second fresh clone with that cache now filled, which is a
user's second clone on the same machine. npm's own cache is left as it is (the front-end
packages are a few MB). Figures depend on the network and on the machine's load: compare runs
of one invocation with each other, not with another day's.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class FirstRun:
    """One fresh clone's `make run`, measured."""

    ref: str
    mode: str
    installed_s: float | None
    home_s: float | None
    venv_bytes: int
    packages: int
    ok: bool


def free_port() -> int:
    """Return a TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def folder_bytes(path: Path) -> int:
    """Return the bytes of every regular file under `path` (symlinks not followed)."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            file = Path(root) / name
            if not file.is_symlink():
                total += file.stat().st_size
    return total


def installed_packages(venv: Path) -> int:
    """Return how many distributions the venv holds (its *.dist-info folders)."""
    return sum(1 for _ in venv.glob("lib/python*/site-packages/*.dist-info"))


def home_answers(port: int) -> bool:
    """Return True once `/` answers 200."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def clone(ref: str, into: Path) -> None:
    """Clone this repository at `ref` into `into`, as a user's fresh clone."""
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(into)],  # noqa: S607
                   check=True)
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", ref],  # noqa: S607
                            check=True, capture_output=True, text=True).stdout.strip()
    subprocess.run(["git", "-C", str(into), "checkout", "--quiet", commit],  # noqa: S607
                   check=True)


def first_run(ref: str, mode: str, pip_cache: Path | None, timeout: float) -> FirstRun:
    """Clone `ref`, run `make run` until the home page answers, stop it, measure."""
    with tempfile.TemporaryDirectory(prefix="descent-first-run-") as scratch:
        checkout = Path(scratch) / "descent"
        clone(ref, checkout)
        port = free_port()
        env = {k: v for k, v in os.environ.items()
               if k not in {"DATABASE_URL", "REDIS_URL", "VIRTUAL_ENV"}}
        env["PORT"] = str(port)
        if pip_cache is not None:
            env["PIP_CACHE_DIR"] = str(pip_cache)
        stamp = checkout / ".venv" / ".installed"
        log_path = Path(scratch) / "make-run.log"
        installed_s = home_s = None
        with open(log_path, "wb") as log:
            started = time.monotonic()
            make = subprocess.Popen(["make", "run"], cwd=checkout, env=env,  # noqa: S607
                                    stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True)
            try:
                deadline = started + timeout
                while time.monotonic() < deadline and make.poll() is None:
                    if installed_s is None and stamp.exists():
                        installed_s = time.monotonic() - started
                    if installed_s is not None and home_answers(port):
                        home_s = time.monotonic() - started
                        break
                    time.sleep(0.25)
            finally:
                if make.poll() is None:
                    os.killpg(make.pid, signal.SIGTERM)
                    try:
                        make.wait(60)
                    except subprocess.TimeoutExpired:
                        os.killpg(make.pid, signal.SIGKILL)
                        make.wait()
        venv = checkout / ".venv"
        result = FirstRun(ref=ref, mode=mode, installed_s=installed_s, home_s=home_s,
                          venv_bytes=folder_bytes(venv), packages=installed_packages(venv),
                          ok=home_s is not None)
        if not result.ok:
            tail = log_path.read_text(errors="replace").splitlines()[-20:]
            print(f"first_run: {ref} ({mode}) never answered; the log's end:", file=sys.stderr)
            print("\n".join(tail), file=sys.stderr)
        return result


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", action="append", help="git ref to clone (repeatable; HEAD)")
    parser.add_argument("--mode", choices=["cold", "warm", "both"], default="both",
                        help="cold: empty pip cache; warm: filled; both: cold then warm")
    parser.add_argument("--timeout", type=float, default=1200.0,
                        help="seconds to wait for one run's home page")
    args = parser.parse_args(argv)
    refs = args.ref or ["HEAD"]

    results: list[FirstRun] = []
    print(f"{'ref':<12} {'pip cache':<9} {'installed s':>11} {'home page s':>11} "
          f"{'.venv MB':>9} {'packages':>8}", flush=True)

    def measure(ref: str, mode: str, cache: Path | None) -> None:
        r = first_run(ref, mode, cache, args.timeout)
        results.append(r)
        print(f"{r.ref:<12} {r.mode:<9} {seconds(r.installed_s):>11} {seconds(r.home_s):>11} "
              f"{r.venv_bytes / 1e6:>9.0f} {r.packages:>8}", flush=True)

    for ref in refs:
        with tempfile.TemporaryDirectory(prefix="descent-pip-cache-") as cache:
            if args.mode in {"cold", "both"}:
                measure(ref, "cold", Path(cache))
            if args.mode == "both":
                measure(ref, "warm", Path(cache))
            if args.mode == "warm":
                measure(ref, "warm", None)
        shutil.rmtree(cache, ignore_errors=True)
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
