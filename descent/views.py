"""Project-level views: health, version, and the error pages (JSON under /api/)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.defaults import bad_request, page_not_found, server_error

from descent.health import run_checks


@require_GET
def version(request: HttpRequest) -> JsonResponse:
    """Describe the service and its API version: the smallest JSON view the site has."""
    return JsonResponse({"service": "descent", "api_version": 1})


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Report database, Redis and worker status: 200 when all are up, 503 naming what is down."""
    checks = run_checks()
    down = [check.name for check in checks if not check.ok]
    body = {
        "status": "ok" if not down else "down",
        "down": down,
        "checks": {check.name: check.as_dict() for check in checks},
    }
    return JsonResponse(body, status=503 if down else 200)


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Answer 404: JSON under /api/ (a path no route matches, e.g. a malformed id), else HTML."""
    if _wants_json(request):
        return JsonResponse({"detail": "no such API endpoint or object; see /api/docs/"},
                            status=404)
    return page_not_found(request, exception)


def bad_request_view(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Answer 400 (Django's SuspiciousOperation, a body over the form limit): JSON under /api/."""
    if _wants_json(request):
        return JsonResponse({"detail": "the request could not be read: "
                             f"{exception or 'bad request'}"[:300]}, status=400)
    return bad_request(request, exception)


def server_error_view(request: HttpRequest) -> HttpResponse:
    """Answer 500 (always a bug): JSON under /api/, so a client can still read it."""
    if _wants_json(request):
        return JsonResponse({"detail": "internal error: a bug on our side"}, status=500)
    return server_error(request)
