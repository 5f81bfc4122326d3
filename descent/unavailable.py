"""Redis is down: answer 503 with Retry-After, never a 500.

Redis carries the broker, the cache (throttles, log-in counters) and the channel layer, so
while it is away a request that needs it cannot be served — but that is an outage, not a bug:
the API answers JSON 503 with `Retry-After`, a page answers a short 503 page, and a WebSocket
handshake is accepted and closed with 1013 ("try again later",
descent/websocket_guards.py). Nothing is accepted that cannot be queued: a submission reads
its throttle from Redis first, so it is refused before any write; one whose task cannot be sent
after its commit stays recorded and is enqueued by the sweeper (challenges/services/queue.py).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from kombu.exceptions import OperationalError as BrokerUnavailable
from redis.exceptions import RedisError

RETRY_AFTER_SECONDS = 5
DETAIL = ("the service is briefly unavailable (its queue and cache, Redis, cannot be reached); "
          f"nothing was recorded: try again in {RETRY_AFTER_SECONDS} s")
UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (RedisError, BrokerUnavailable)


def redis_unavailable(exc: BaseException) -> bool:
    """Tell whether `exc`, or an exception it was raised from, says Redis cannot be reached."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, UNAVAILABLE_ERRORS):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def unavailable_body() -> dict[str, object]:
    return {"detail": DETAIL, "code": "unavailable", "retry_after": RETRY_AFTER_SECONDS}


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Descent is briefly unavailable</title></head>
<body><main><h1>Briefly unavailable</h1>
<p>Descent cannot reach its queue right now. Nothing you sent was lost or half-recorded:
please try again in {seconds} seconds.</p></main></body></html>
"""


def unavailable_response(request: HttpRequest) -> HttpResponse:
    """The 503 for `request`: JSON under /api/, a plain page elsewhere; with Retry-After."""
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(unavailable_body(), status=503)
    else:
        # Plain HTML, no template: the site's base template reads the cache (notifications).
        response = HttpResponse(PAGE.format(seconds=RETRY_AFTER_SECONDS), status=503,
                                content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class RedisUnavailableMiddleware:
    """Turn an exception that means "Redis is down" into a 503 (API: JSON; pages: HTML)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if redis_unavailable(exception):
            return unavailable_response(request)
        return None

