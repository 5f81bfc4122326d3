"""The ASGI server command lines and a wait for a port: shared by make run, tests, benches."""

from __future__ import annotations

import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path

from descent.client_address import trusted_proxies_from_env

BIN = Path(sys.executable).parent
ASGI_SERVERS = ("uvicorn", "daphne")
# WebSocket frames: the consumers refuse anything over 1 KB (descent/live_consumer.py), so the
# server need not read Uvicorn's default 16 MiB before they see it (it closes with 1009).
# Its protocol keeps at most 16 KiB queued per client (descent/stack/websocket_protocol.py).
UVICORN_WEBSOCKET_ARGUMENTS = [
    "--ws-max-size", str(64 * 1024),
    "--ws", "descent.stack.websocket_protocol:BoundedWebSocketProtocol",
]


def proxy_arguments(server: str, trusted: list[str]) -> list[str]:
    """Return the flags that make `server` believe proxy headers from `trusted` only.

    Uvicorn believes X-Forwarded-For/-Proto from 127.0.0.1 unless told otherwise, so any local
    client could spoof its address (and reset a per-address limit): with no TRUSTED_PROXIES
    the headers are ignored altogether. Daphne reads them only when asked, from any peer, so it
    is asked only when proxies are configured (put it behind them alone).
    """
    if server == "uvicorn":
        if not trusted:
            return ["--no-proxy-headers"]
        return ["--proxy-headers", "--forwarded-allow-ips", ",".join(trusted)]
    return ["--proxy-headers"] if trusted else []


def asgi_server_command(server: str, *, host: str, port: int, quiet: bool = False,
                        trusted_proxies: list[str] | None = None) -> list[str]:
    """Return the command that serves `descent.asgi:application` with `server`.

    `trusted_proxies` defaults to TRUSTED_PROXIES from the environment
    (`descent.client_address`), the list Django reads too.
    """
    trusted = trusted_proxies_from_env() if trusted_proxies is None else trusted_proxies
    if server == "uvicorn":
        command = [str(BIN / "uvicorn"), "descent.asgi:application", "--host", host,
                   "--port", str(port), "--lifespan", "off", "--no-access-log",
                   *proxy_arguments(server, trusted), *UVICORN_WEBSOCKET_ARGUMENTS]
        return [*command, "--log-level", "warning"] if quiet else command
    if server == "daphne":
        command = [str(BIN / "daphne"), "-b", host, "-p", str(port),
                   *proxy_arguments(server, trusted)]
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
