"""Project-level views: health."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

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
