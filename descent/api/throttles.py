"""Throttles shared by the apps' APIs."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView


class WriteThrottle(ScopedRateThrottle):
    """ScopedRateThrottle for writes only: reading is never throttled."""

    throttled_methods = frozenset({"POST", "PUT", "PATCH", "DELETE"})

    def allow_request(self, request: Request, view: APIView) -> bool:
        if request.method not in self.throttled_methods:
            return True
        return super().allow_request(request, view)
