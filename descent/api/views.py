"""The base view of every API endpoint: service errors become 4xx responses here, once."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from descent.api.exceptions import TooManyRequests
from descent.errors import ServiceError


def api_exception(exc: ServiceError) -> exceptions.APIException:
    """Translate a service error into the DRF exception of its status."""
    if exc.status_code == 403:
        return exceptions.PermissionDenied(exc.message)
    if exc.status_code == 404:
        return exceptions.NotFound(exc.message)
    if exc.status_code == 429:
        return TooManyRequests(exc.message, retry_after=exc.retry_after or 1, extra=exc.extra)
    if exc.errors is not None:
        return exceptions.ValidationError({exc.field: exc.errors} if exc.field else exc.errors)
    key = exc.field or api_settings.NON_FIELD_ERRORS_KEY
    return exceptions.ValidationError({key: exc.messages})


class ServiceApi(APIView):
    """An APIView whose services' errors (`descent.errors.ServiceError`) answer 4xx.

    Both apps' endpoints derive from it: a view validates its input, calls a service or a
    selector and serialises the result; it never catches a service error itself.
    """

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, ServiceError):
            exc = api_exception(exc)
        return super().handle_exception(exc)


def paginated(view: APIView, request: Request, queryset: Any, serialize: Any) -> Response:
    """Paginate `queryset` with the view's paginator; `serialize(page)` returns a list."""
    paginator = (getattr(view, "pagination_class", None)
                 or api_settings.DEFAULT_PAGINATION_CLASS)()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serialize(page))
