"""The ASGI server command lines and a wait for a port: shared by make run, tests, benches."""

from __future__ import annotations

import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path

BIN = Path(sys.executable).parent
ASGI_SERVERS = ("uvicorn", "daphne")


def asgi_server_command(server: str, *, host: str, port: int, quiet: bool = False) -> list[str]:
    """Return the command that serves `descent.asgi:application` with `server`."""
    if server == "uvicorn":
        command = [str(BIN / "uvicorn"), "descent.asgi:application", "--host", host,
                   "--port", str(port), "--lifespan", "off", "--no-access-log"]
        return [*command, "--log-level", "warning"] if quiet else command
    if server == "daphne":
        command = [str(BIN / "daphne"), "-b", host, "-p", str(port)]
        return [*command, "-v", "0", "descent.asgi:application"] if quiet else [
            *command, "descent.asgi:application"]
    raise ValueError(f"unknown ASGI server {server!r}: use one of {', '.join(ASGI_SERVERS)}")


def wait_for_port(port: int, *, timeout: float, alive: Callable[[], bool]) -> None:
    """Wait until something listens on 127.0.0.1:`port`; fail early once `alive()` is False."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError(f"the server exited before listening on port {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listened on port {port} within {timeout} s")
