"""Compare Daphne and Uvicorn serving Descent's ASGI app on this machine, in one run.

HTTP: requests per second on `/api/version/` (a small JSON view) from keep-alive
connections. WebSocket: connections per second for connect + ping/pong + close, and the
round-trip time of a ping on an open socket. Each server gets the same load, one after the
other; compare the ratio, not the absolute figures (the load generator shares the 2 cores).

    python -m bench.asgi_servers [--seconds 5] [--connections 32]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.environment import bench_environment  # noqa: E402
from descent.stack.redis_server import free_port  # noqa: E402
from descent.stack.servers import (  # noqa: E402
    ASGI_SERVERS,
    asgi_server_command,
    wait_for_port,
)
from descent.stack.supervisor import Supervisor  # noqa: E402


async def _http_client(port: int, deadline: float, counts: list[int],
                       path: str = "/api/version/") -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    try:
        while time.perf_counter() < deadline:
            writer.write(request)
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            counts[0] += 1
    finally:
        writer.close()


async def http_rps(port: int, seconds: float, connections: int,
                   path: str = "/api/version/") -> float:
    """Requests per second on `path` from `connections` keep-alive loops for `seconds`."""
    counts = [0]
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(_http_client(port, deadline, counts, path)
                           for _ in range(connections)))
    return counts[0] / (time.perf_counter() - started)


async def websocket_figures(port: int, seconds: float, connections: int) -> dict[str, float]:
    from websockets.asyncio.client import connect

    url = f"ws://127.0.0.1:{port}/ws/ping/"
    origin = f"http://127.0.0.1:{port}"
    cycles = [0]
    deadline = time.perf_counter() + seconds

    async def cycler() -> None:
        while time.perf_counter() < deadline:
            async with connect(url, origin=origin) as ws:
                await ws.send('{"type": "ping"}')
                await ws.recv()
            cycles[0] += 1

    started = time.perf_counter()
    await asyncio.gather(*(cycler() for _ in range(connections)))
    per_second = cycles[0] / (time.perf_counter() - started)

    round_trips = []
    async with connect(url, origin=origin) as ws:
        for _ in range(500):
            sent = time.perf_counter()
            await ws.send('{"type": "ping"}')
            json.loads(await ws.recv())
            round_trips.append((time.perf_counter() - sent) * 1000)
    round_trips.sort()
    return {
        "ws_cycles_per_s": per_second,
        "ws_rtt_p50_ms": statistics.median(round_trips),
        "ws_rtt_p99_ms": round_trips[int(len(round_trips) * 0.99) - 1],
    }


def measure(name: str, env: dict[str, str], seconds: float, connections: int) -> dict:
    port = free_port()
    supervisor = Supervisor(env)
    supervisor.start(name, asgi_server_command(name, host="127.0.0.1", port=port, quiet=True))
    try:
        wait_for_port(port, timeout=30, alive=lambda: supervisor.dead_child() is None)
        asyncio.run(http_rps(port, 1.0, connections))  # warm up
        figures = {"http_rps": asyncio.run(http_rps(port, seconds, connections))}
        figures.update(asyncio.run(websocket_figures(port, seconds, min(connections, 16))))
        return figures
    finally:
        supervisor.stop()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args(argv)
    redis = bench_environment("asgi")
    env = dict(os.environ)
    try:
        results = {name: measure(name, env, args.seconds, args.connections)
                   for name in ASGI_SERVERS}
    finally:
        if redis is not None:
            redis.stop()
    print(f"{'server':<10}{'HTTP req/s':>12}{'WS cycles/s':>13}{'WS RTT p50':>12}{'p99 ms':>9}")
    for name, figures in results.items():
        print(f"{name:<10}{figures['http_rps']:>12.0f}{figures['ws_cycles_per_s']:>13.0f}"
              f"{figures['ws_rtt_p50_ms']:>12.2f}{figures['ws_rtt_p99_ms']:>9.2f}")
    ratio = results["uvicorn"]["http_rps"] / results["daphne"]["http_rps"]
    print(f"uvicorn / daphne HTTP throughput: {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
