"""API errors: always JSON, 4xx for the caller's mistakes, Retry-After on 429."""

from __future__ import annotations

import math
from typing import Any

from rest_framework import status
from rest_framework.exceptions import APIException, Throttled
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from descent.unavailable import RETRY_AFTER_SECONDS, redis_unavailable, unavailable_body


class TooManyRequests(APIException):
    """A limit was reached; `retry_after` seconds until it resets."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "limit_reached"

    def __init__(self, detail: str, *, retry_after: int, extra: dict[str, Any] | None = None):
        super().__init__(detail)
        self.retry_after = retry_after
        self.extra = extra or {}


# Whatever a validator found, the error body stays small: this many entries per object or
# list, strings clipped (the engine and StrictInputSerializer bound their own errors already;
# this is the net under every other field).
MAX_ERROR_ENTRIES = 50
MAX_ERROR_TEXT = 1000


def bounded(detail: Any) -> Any:
    """Return `detail` with at most MAX_ERROR_ENTRIES entries per level, the rest counted."""
    if isinstance(detail, dict):
        items = list(detail.items())
        kept = {str(k)[:200]: bounded(v) for k, v in items[:MAX_ERROR_ENTRIES]}
        if len(items) > MAX_ERROR_ENTRIES:
            kept["non_field_errors"] = [f"...and {len(items) - MAX_ERROR_ENTRIES:,} more "
                                        "errors (not listed)"]
        return kept
    if isinstance(detail, list):
        kept_list = [bounded(v) for v in detail[:MAX_ERROR_ENTRIES]]
        if len(detail) > MAX_ERROR_ENTRIES:
            kept_list.append(f"...and {len(detail) - MAX_ERROR_ENTRIES:,} more (not listed)")
        return kept_list
    if isinstance(detail, str) and len(detail) > MAX_ERROR_TEXT:
        return detail[:MAX_ERROR_TEXT] + "…"
    return detail


def exception_handler(exc: Exception, context: dict[str, Any]):
    """Handle as DRF does, bound the body, give every 429 Retry-After and `retry_after`."""
    if redis_unavailable(exc):
        # An outage, not a bug: 503 with Retry-After (descent/unavailable.py).
        return Response(unavailable_body(), status=status.HTTP_503_SERVICE_UNAVAILABLE,
                        headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    response.data = bounded(response.data)
    if isinstance(exc, TooManyRequests):
        response["Retry-After"] = str(exc.retry_after)
        response.data = {"detail": str(exc.detail), "retry_after": exc.retry_after, **exc.extra}
    elif isinstance(exc, Throttled):
        # DRF's throttles say it in the header and the text; the body says it as a number too.
        retry_after = max(1, math.ceil(exc.wait or 1))
        response["Retry-After"] = str(retry_after)
        response.data = {"detail": str(exc.detail), "retry_after": retry_after}
    return response
