"""Log-in throttling: at most 5 failures per username and address per 15 minutes.

Counters live in the shared cache (Redis), so every web process sees the same count. Keyed
by username *and* address: an attacker cannot lock a builder out from everywhere, and one
address cannot grind through one account.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from django.contrib.auth import authenticate
from django.core.cache import cache
from django.http import HttpRequest

from community.errors import InvalidInput, TooManyLoginAttempts
from community.models import User

MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60


def _keys(username: str, ip: str) -> tuple[str, str]:
    digest = hashlib.sha256(f"{username.strip().lower()}|{ip}".encode()).hexdigest()[:32]
    return f"login-failures:{digest}", f"login-failures-since:{digest}"


def login_retry_after(*, username: str, ip: str) -> int:
    """Return the seconds until `username` may try again from `ip`; 0 when not blocked."""
    count_key, since_key = _keys(username, ip)
    if (cache.get(count_key) or 0) < MAX_FAILURES:
        return 0
    since = cache.get(since_key) or time.time()
    return max(1, int(WINDOW_SECONDS - (time.time() - since)) + 1)


def login_failure_record(*, username: str, ip: str) -> int:
    """Count one failed log-in; return the failures in the current window."""
    count_key, since_key = _keys(username, ip)
    # add() only sets a missing key: the window starts at the first failure and is not
    # extended by later ones.
    cache.add(since_key, time.time(), WINDOW_SECONDS)
    cache.add(count_key, 0, WINDOW_SECONDS)
    try:
        return cache.incr(count_key)
    except ValueError:  # expired between add() and incr()
        cache.add(count_key, 1, WINDOW_SECONDS)
        return 1


def login_failures_clear(*, username: str, ip: str) -> None:
    """Forget the failures of `username` from `ip` after a successful log-in."""
    cache.delete_many(list(_keys(username, ip)))


def client_ip(meta: dict) -> str:
    """Return the caller's address (REMOTE_ADDR; a proxy in front must set it truthfully)."""
    return str(meta.get("REMOTE_ADDR") or "unknown")


def login_attempt(*, request: HttpRequest | None, username: str, password: str) -> User:
    """Authenticate `username` with `password`, throttled; return the user.

    The one log-in sequence of the log-in page and `POST /api/auth/token/`: refuse while
    blocked (`TooManyLoginAttempts`, with `retry_after`), count a failure (`InvalidInput` on
    `password`), forget the failures on success.
    """
    ip = client_ip(request.META if request is not None else {})
    retry_after = login_retry_after(username=username, ip=ip)
    if retry_after:
        raise TooManyLoginAttempts(retry_after)
    user: Any = authenticate(request, username=username, password=password)
    if user is None:
        login_failure_record(username=username, ip=ip)
        raise InvalidInput("this username and password do not match an active account",
                           field="password")
    login_failures_clear(username=username, ip=ip)
    return user
