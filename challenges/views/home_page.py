"""The home page at `/`, and the JSON of its live figures that the page polls."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from challenges.selectors.home import home_figures, home_path

# How often the page asks for fresh figures; the page reads it from its data attribute.
POLL_SECONDS = 5


@require_GET
def home_page(request: HttpRequest) -> HttpResponse:
    """Say what Descent is, show the live figures, and point at the first open node."""
    states, start = home_path(user=request.user)
    return render(request, "home.html", {
        "figures": home_figures(), "states": states, "start": start,
        "poll_seconds": POLL_SECONDS,
    })


@never_cache
@require_GET
def home_figures_view(request: HttpRequest) -> JsonResponse:
    """Return the home page's live figures: online, running, queued, moves, debriefs."""
    return JsonResponse(home_figures())
