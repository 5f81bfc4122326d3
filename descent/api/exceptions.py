"""API errors: always JSON, 4xx for the caller's mistakes, Retry-After on 429."""

from __future__ import annotations

import math
from typing import Any

from rest_framework import status
from rest_framework.exceptions import APIException, Throttled
from rest_framework.views import exception_handler as drf_exception_handler


class TooManyRequests(APIException):
    """A limit was reached; `retry_after` seconds until it resets."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "limit_reached"

    def __init__(self, detail: str, *, retry_after: int, extra: dict[str, Any] | None = None):
        super().__init__(detail)
        self.retry_after = retry_after
        self.extra = extra or {}


def exception_handler(exc: Exception, context: dict[str, Any]):
    """Handle as DRF does, then give every 429 Retry-After and `retry_after` in the body."""
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, TooManyRequests):
        response["Retry-After"] = str(exc.retry_after)
        response.data = {"detail": str(exc.detail), "retry_after": exc.retry_after, **exc.extra}
    elif isinstance(exc, Throttled):
        # DRF's throttles say it in the header and the text; the body says it as a number too.
        retry_after = max(1, math.ceil(exc.wait or 1))
        response["Retry-After"] = str(retry_after)
        response.data = {"detail": str(exc.detail), "retry_after": retry_after}
    return response
