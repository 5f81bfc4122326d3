"""API errors: always JSON, 4xx for the caller's mistakes, Retry-After on 429."""

from __future__ import annotations

from typing import Any

from rest_framework import status
from rest_framework.exceptions import APIException
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
    """Handle as DRF does, then add Retry-After and the limit's figures to our 429s."""
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, TooManyRequests):
        response["Retry-After"] = str(exc.retry_after)
        response.data = {"detail": str(exc.detail), "retry_after": exc.retry_after, **exc.extra}
    return response
