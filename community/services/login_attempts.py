"""Log-in throttling: per username and address, and per address across usernames.

- 5 failures for one username from one address in 15 minutes block that pair: one address
  cannot grind through one account, and an attacker cannot lock a builder out from
  everywhere (the block is only where the failures came from).
- 20 failures from one address in 15 minutes, whatever the usernames, block the address:
  password spraying (one common password over many usernames) stops there. A success does
  not reset this count.

The address is `descent.client_address.client_address`: `X-Forwarded-For` counts only from a
configured proxy (TRUSTED_PROXIES), so a spoofed header does not start a fresh count.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.http import HttpRequest

from community.errors import InvalidInput, TooManyLoginAttempts
from community.models import User
from community.services.rate_windows import FixedWindow
from descent.client_address import client_address

MAX_FAILURES = 5
MAX_ADDRESS_FAILURES = 20
WINDOW_SECONDS = 15 * 60

PAIR_FAILURES = FixedWindow("login-failures", MAX_FAILURES, WINDOW_SECONDS)
ADDRESS_FAILURES = FixedWindow("login-failures-address", MAX_ADDRESS_FAILURES, WINDOW_SECONDS)


def _pair(username: str, ip: str) -> str:
    return f"{username.strip().lower()}|{ip}"


def login_retry_after(*, username: str, ip: str) -> int:
    """Return the seconds until `username` may try again from `ip`; 0 when not blocked."""
    return max(PAIR_FAILURES.retry_after(_pair(username, ip)), ADDRESS_FAILURES.retry_after(ip))


def login_failure_record(*, username: str, ip: str) -> int:
    """Count one failed log-in; return the failures of this username and address."""
    ADDRESS_FAILURES.hit(ip)
    return PAIR_FAILURES.hit(_pair(username, ip))


def login_failures_clear(*, username: str, ip: str) -> None:
    """Forget the failures of `username` from `ip` after a successful log-in."""
    PAIR_FAILURES.clear(_pair(username, ip))


def client_ip(meta: dict) -> str:
    """Return the caller's address (see `descent.client_address`)."""
    return client_address(meta)


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
