"""Resource limits of a worker child process."""

from __future__ import annotations

import resource

from django.conf import settings


def apply_memory_limit() -> int:
    """Set RLIMIT_AS of this process to WORKER_MEMORY_LIMIT_MB MiB; return the bytes.

    numpy then raises MemoryError for an allocation past the limit, which the training code
    turns into a failed run; the worker process itself survives.
    """
    limit = settings.WORKER_MEMORY_LIMIT_MB * 1024 * 1024
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    return limit


def limit_child_memory(**_: object) -> None:
    """Cap each pool child's address space, so a runaway spec raises MemoryError in it."""
    apply_memory_limit()
