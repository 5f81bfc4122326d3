"""Password-reset requests, throttled: each one sends a mail, so each one is counted.

At most 5 requests an hour from one address and 3 an hour for one email address (whoever
asks): nobody can flood a builder's inbox or use the page to probe many addresses quickly.
"""

from __future__ import annotations

from community.errors import TooManyResetRequests
from community.services.rate_windows import FixedWindow

RESET_ADDRESS = FixedWindow("password-reset-address", 5, 60 * 60)
RESET_EMAIL = FixedWindow("password-reset-email", 3, 60 * 60)


def password_reset_request(*, ip: str, email: str) -> None:
    """Count a reset request from `ip` for `email`; raise TooManyResetRequests past a limit."""
    email_key = email.strip().lower()
    retry_after = max(RESET_ADDRESS.retry_after(ip), RESET_EMAIL.retry_after(email_key))
    if retry_after:
        raise TooManyResetRequests(retry_after)
    RESET_ADDRESS.hit(ip)
    RESET_EMAIL.hit(email_key)
