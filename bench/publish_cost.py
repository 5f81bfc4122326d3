"""Time what publishing a live message costs a worker: the per-process publisher vs naive sends.

In a worker-like process (Django set up, no event loop of its own) this sends M typical
`run.progress` messages to a challenge group in two ways:

- `descent.live.publisher.publisher().send(...)`: the caller's cost per message (it only
  queues), then the drain time: `send_and_wait` of one final message, which returns once Redis
  has it and everything queued before it; end-to-end cost = (last send_and_wait returned −
  first send) / M. Then M more through `publish_on_commit`, what the services call (no
  transaction open, so it sends at once): the caller's cost per message ("on-commit ms").
- `async_to_sync(get_channel_layer().group_send)(...)` per message: what a worker would do
  without the publisher (a new event loop, and with it a new Redis connection, per call).

RedisChannelLayer's `group_send` reads the group's members and sends one message per ASGI
process listing every member channel, so its cost grows with the group: `--members` adds that
many fake consumer channels (all "in" one absent ASGI process) to the group first. The pub/sub
layer publishes once whatever the membership, so members are not added for it.

    python -m bench.publish_cost [--messages 10000] [--naive 1000] [--members 0,1000]
                                 [--layer redis,pubsub]

Each layer is measured in a fresh interpreter (Django reads CHANNEL_LAYER once).
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from descent.stack.redis_server import EmbeddedRedis  # noqa: E402

LAYERS = ("redis", "pubsub")
FAKE_PROCESS = "specific.benchfake!"


def progress_message(run_id: int, epoch: int) -> dict[str, Any]:
    """Build a `run.progress` message shaped like the ones RunRecorder publishes."""
    return {
        "type": "run.progress", "run": run_id, "user": "bench", "epoch": epoch, "epochs": 1500,
        "train_loss": 0.123456789 + epoch * 1e-6, "val_loss": 0.234567891 - epoch * 1e-6,
        "ranked": True, "at": time.time(),
    }


def _drain_fake_process(stop: threading.Event) -> None:
    """Empty the fake process's Redis queue, as its ASGI process would, until `stop`."""
    from django.conf import settings

    from descent.redis import get_redis

    key = settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] + FAKE_PROCESS
    redis = get_redis()
    while not stop.wait(0.01):
        redis.delete(key)


def _add_fake_members(group: str, members: int) -> None:
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    layer = get_channel_layer()

    async def add() -> None:
        # Process-specific names ("specific.<process>!<client>"), as Channels gives consumers.
        for index in range(members):
            await layer.group_add(group, f"{FAKE_PROCESS}c{index}")

    async_to_sync(add)()


def measure_layer(messages: int, naive: int, members: int) -> dict[str, float]:
    """Time publisher().send, publish_on_commit and the naive group_send for this layer."""
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from descent.live.publisher import publish_on_commit, publisher

    group = f"challenge.bench-publish-{members}-{os.getpid()}"
    stop = threading.Event()
    if members:
        _add_fake_members(group, members)
        # Without a reader the queue would fill to `capacity` and group_send would skip the
        # ZADD, which is cheaper than the real thing.
        threading.Thread(target=_drain_fake_process, args=(stop,), daemon=True).start()
    live = publisher()
    live.send_and_wait(group, progress_message(0, 0))  # connect before timing
    started = time.perf_counter()
    for epoch in range(1, messages + 1):
        live.send(group, progress_message(1, epoch))
    queued = time.perf_counter()
    live.send_and_wait(group, progress_message(1, messages + 1), timeout=600)
    drained = time.perf_counter()
    # What a service pays: the same send behind the on-commit helper (no transaction open,
    # as after the recorder's flush commits).
    on_commit_started = time.perf_counter()
    for epoch in range(1, messages + 1):
        publish_on_commit(group, progress_message(3, epoch))
    on_commit_queued = time.perf_counter()
    live.send_and_wait(group, progress_message(3, messages + 1), timeout=600)

    layer = get_channel_layer()
    naive_started = time.perf_counter()
    for epoch in range(1, naive + 1):
        async_to_sync(layer.group_send)(group, progress_message(2, epoch))
    naive_done = time.perf_counter()
    stop.set()
    return {
        "send_ms": (queued - started) * 1000 / messages,
        "on_commit_ms": (on_commit_queued - on_commit_started) * 1000 / messages,
        "drain_ms": (drained - started) * 1000 / (messages + 1),
        "naive_ms": (naive_done - naive_started) * 1000 / max(1, naive),
    }


def _in_process(args: argparse.Namespace) -> int:
    """Measure the layer CHANNEL_LAYER names, in this process, and print one line per size."""
    import django

    django.setup()
    from django.conf import settings

    # channels_redis logs every group_send that found a full queue; keep the table readable.
    logging.getLogger("channels_redis").setLevel(logging.WARNING)

    layer = settings.CHANNEL_LAYER
    backend = settings.CHANNEL_LAYERS["default"]["BACKEND"].rsplit(".", 1)[1]
    sizes = [int(size) for size in args.members.split(",")]
    if layer == "pubsub":
        sizes = [0]  # one PUBLISH per message whatever the membership (module docstring)
    for members in sizes:
        figures = measure_layer(args.messages, args.naive, members)
        print(f"{layer:<7}{backend:<26}{members:>8}{figures['send_ms']:>12.4f}"
              f"{figures['on_commit_ms']:>14.4f}{figures['drain_ms']:>12.4f}{figures['naive_ms']:>12.3f}"
              f"{figures['naive_ms'] / figures['drain_ms']:>12.1f}x", flush=True)
    return 0


def main(argv: list[str]) -> int:
    """Measure each layer in a fresh interpreter and print the per-message costs."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--naive", type=int, default=1_000,
                        help="messages for the naive async_to_sync loop (it is slower)")
    parser.add_argument("--members", default="0,1000",
                        help="group sizes (RedisChannelLayer only), comma-separated")
    parser.add_argument("--layer", default=",".join(LAYERS))
    parser.add_argument("--in-process", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.in_process:
        return _in_process(args)

    env = dict(os.environ, DJANGO_SETTINGS_MODULE="descent.settings.local", DEBUG="0")
    redis = None
    if not env.get("REDIS_URL"):
        redis = EmbeddedRedis(ROOT / "var" / "bench" / "publish-redis")
        env["REDIS_URL"] = redis.start()
    print(f"{args.messages} run.progress messages per measurement; naive loop: {args.naive}")
    print(f"{'layer':<7}{'backend':<26}{'members':>8}{'send ms':>12}{'on-commit ms':>14}"
          f"{'drain ms':>12}"
          f"{'naive ms':>12}{'naive/drain':>13}")
    code = 0
    try:
        for layer in args.layer.split(","):
            command = [sys.executable, "-m", "bench.publish_cost", "--in-process",
                       "--messages", str(args.messages), "--naive", str(args.naive),
                       "--members", args.members]
            code |= subprocess.run(command, env=dict(env, CHANNEL_LAYER=layer), cwd=ROOT,
                                   timeout=600).returncode
    finally:
        if redis is not None:
            redis.stop()
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
