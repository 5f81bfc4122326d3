"""The base of every error a service raises for the caller to see; the apps subclass it.

A service error carries what the API and the pages need to answer it: an HTTP status, the
messages, and where the fault is (`field`, or `errors` mapping field paths to messages).
`descent.api.views.ServiceApi` turns it into a DRF response in one place; a page shows the
messages. Web-framework free, so services raise it without importing DRF.
"""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """A request the rules refuse: 400 unless a subclass says otherwise."""

    status_code = 400

    def __init__(
        self,
        message: str | list[str],
        *,
        field: str | None = None,
        errors: dict[str, Any] | None = None,
    ) -> None:
        self.messages = [message] if isinstance(message, str) else list(message)
        self.message = " ".join(self.messages)
        super().__init__(self.message)
        self.field = field
        self.errors = errors

    @property
    def retry_after(self) -> int | None:
        """Seconds until asking again may succeed (a 429 sends them as Retry-After)."""
        return None

    @property
    def extra(self) -> dict[str, Any]:
        """More of the error's body, beside `detail` (a 429's limit figures, for example)."""
        return {}
