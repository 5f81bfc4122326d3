"""The challenge list and one challenge's page: lesson, data, leaderboard, my runs, quota."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from challenges.lessons import render_lesson
from challenges.preview import dataset_preview
from challenges.selectors.leaderboards import TIE_BREAK_TEXT, leaderboard_page
from challenges.selectors.runs import runs_of_builder
from challenges.selectors.visibility import challenge_get, challenges_visible_to
from challenges.services.submissions import quota_status

# The challenge page lists this many of the builder's latest runs; the API pages the rest.
MY_RUNS_SHOWN = 20


def challenge_list(request: HttpRequest) -> HttpResponse:
    """Show every challenge the visitor may open, oldest first."""
    challenges = challenges_visible_to(request.user).order_by("created_at", "id")
    return render(request, "challenges/challenge_list.html", {"challenges": challenges})


def challenge_page(request: HttpRequest, slug: str) -> HttpResponse:
    """Show the lesson, the data, the leaderboard and, signed in, the visitor's runs and quota."""
    challenge = challenge_get(slug=slug, viewer=request.user)
    now = timezone.now()
    # ?verified=1: only the entries a second worker reproduced (the page's toggle).
    verified = request.GET.get("verified") == "1"
    # The top of the board and the visitor's own row: what the live socket (protocol 2)
    # keeps up to date; the API pages through the rest.
    board = leaderboard_page(challenge=challenge, offset=0, limit=settings.LEADERBOARD_LIVE_TOP,
                             viewer=request.user, verified=verified)
    if verified:
        leaders = leaderboard_page(challenge=challenge, offset=0, limit=1).entries
    else:
        leaders = board.entries
    context = {
        "challenge": challenge,
        "lesson_html": render_lesson(challenge.lesson),
        "data": dataset_preview(challenge),
        "entries": board.entries,
        "own": board.own if board.own not in board.entries else None,
        "board_count": board.count,
        "verified_only": verified,
        "leader": leaders[0] if leaders else None,
        "closed": challenge.is_closed(now),
        "accepts_submissions": challenge.accepts_submissions(now),
        "tie_break_text": TIE_BREAK_TEXT,
        "my_runs": [],
        "quota": None,
        "login_url": settings.LOGIN_URL,
    }
    if request.user.is_authenticated:
        context["my_runs"] = list(
            runs_of_builder(user=request.user, challenge=challenge)[:MY_RUNS_SHOWN]
        )
        context["quota"] = quota_status(user=request.user, challenge=challenge, now=now)
    return render(request, "challenges/challenge.html", context)
