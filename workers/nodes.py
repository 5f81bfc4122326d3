"""Which Celery worker node this is, and which others are alive (for verification routing)."""

from __future__ import annotations

import socket

from celery import current_task

from descent.celery import app

# How long a worker waits for the others to answer a broadcast ping.
PING_TIMEOUT = 1.0


def worker_node() -> str:
    """Name the Celery node running this task (`name@host`), or the host outside a task."""
    request = getattr(current_task, "request", None) if current_task else None
    return getattr(request, "hostname", None) or socket.gethostname()


def node_host(node: str) -> str:
    """Return the machine part of a node name (`celery@box` → `box`)."""
    return node.rpartition("@")[2]


def other_nodes(node: str, *, timeout: float = PING_TIMEOUT) -> list[str]:
    """Return the names of the live worker nodes other than `node` (a broadcast ping)."""
    replies = app.control.ping(timeout=timeout)
    return sorted({name for reply in replies for name in reply} - {node})


def choose_verifier(*, original_node: str, candidates: list[str]) -> str | None:
    """Pick the most independent node of `candidates`: another machine, else another node.

    Machines are told apart by the host part of the node names (Celery's default node name
    is `celery@<hostname>`; `make run` names its worker `worker<port>@<hostname>`).
    """
    others = [name for name in candidates if name != original_node]
    elsewhere = [name for name in others if node_host(name) != node_host(original_node)]
    return (elsewhere or others or [None])[0]


def independence(*, original_node: str, node: str) -> str:
    """Say how independent a check on `node` is of the training on `original_node`."""
    if not original_node:
        return "unknown: the worker that trained the run was not recorded"
    if node == original_node:
        return "the same worker node (no other worker answered)"
    if node_host(node) != node_host(original_node):
        return "another machine"
    return "another worker node on the same machine"
