"""The environment every benchmark runs in: its own Redis and a fresh database, unless given."""

from __future__ import annotations

import os
from pathlib import Path

from descent.stack.redis_server import EmbeddedRedis

# The small blobs spec the stack benches submit (their --epochs sets its epochs).
TINY_SPEC = {
    "layers": [{"units": 8, "activation": "relu"}, {"units": 3, "activation": "softmax"}],
    "loss": "cross_entropy",
    "optimizer": {"name": "adam", "learning_rate": 0.05},
    "batch_size": 32,
    "seed": 1,
}

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"


def bench_environment(name: str) -> EmbeddedRedis | None:
    """Point this process (and the children it starts) at a Redis and a fresh database.

    An embedded Redis under var/bench/ unless REDIS_URL is set (returned, to be stopped), and
    a new SQLite file `var/bench/<name>.sqlite3` unless DATABASE_URL is set; local settings
    with DEBUG off.
    """
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    redis = None
    if not os.environ.get("REDIS_URL"):
        redis = EmbeddedRedis(BENCH_DIR / f"{name}-redis")
        os.environ["REDIS_URL"] = redis.start()
    if not os.environ.get("DATABASE_URL"):
        for leftover in BENCH_DIR.glob(f"{name}.sqlite3*"):
            leftover.unlink()
        os.environ["DATABASE_URL"] = f"sqlite:///{BENCH_DIR / f'{name}.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "descent.settings.local"
    os.environ["DEBUG"] = "0"
    # Every benchmark client connects from 127.0.0.1: lift the per-address WebSocket cap
    # (50 by default) past the largest run (1,000 watchers).
    os.environ.setdefault("WS_MAX_CONNECTIONS_PER_ADDRESS", "100000")
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    return redis
