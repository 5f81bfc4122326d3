"""`python -m descent.stack web|worker`: one process of a deployment, with make run's commands."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from descent.stack.redis_server import free_port
from descent.stack.servers import wait_for_port
from tests.support.stack import ROOT, process_env, stop_process, wait_for_worker

pytestmark = pytest.mark.stack


def _become(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "descent.stack", *args], cwd=ROOT,
                            env=process_env(), start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_web_becomes_uvicorn_in_the_same_process_and_serves():
    port = free_port()
    process = _become("web", "--port", str(port), "--graceful-shutdown", "2")
    try:
        wait_for_port(port, timeout=30, alive=lambda: process.poll() is None)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/version/", timeout=10) as r:
            assert json.loads(r.read()) == {"service": "descent", "api_version": 1}
        # exec, not a child: a supervisor's signals reach the server itself.
        command = Path(f"/proc/{process.pid}/cmdline").read_bytes().split(b"\0")
        assert any(part.endswith(b"uvicorn") for part in command)
        assert b"--timeout-graceful-shutdown" in command
    finally:
        stop_process(process)
    assert process.returncode is not None


def test_worker_becomes_a_celery_worker_on_the_queues_it_is_given():
    from descent.celery import app

    hostname = f"role-{uuid.uuid4().hex[:8]}@localhost"
    process = _become("worker", "--hostname", hostname, "--concurrency", "1",
                      "--queues", settings.CELERY_TASK_DEFAULT_QUEUE, "--loglevel", "WARNING")
    try:
        wait_for_worker(hostname)
        assert app.send_task("workers.tasks.echo", args=["over the queue"]).get(
            timeout=30) == "over the queue"
    finally:
        stop_process(process)
