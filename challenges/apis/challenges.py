"""Challenge APIs: list, detail (with the caller's quota), leaderboard."""

from __future__ import annotations

import json

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from challenges.apis.serializers import (
    ChallengeDetailOutputSerializer,
    ChallengeOutputSerializer,
    LeaderboardOutputSerializer,
)
from challenges.selectors.leaderboards import (
    TIE_BREAK_TEXT,
    leaderboard_page_data,
    leaderboard_rank_of,
)
from challenges.selectors.visibility import challenge_get, challenges_published
from challenges.services.submissions import quota_status
from descent.api.pagination import CappedPageNumberPagination
from descent.api.views import ServiceApi, paginated

# A leaderboard page: the whole board of a class (a few hundred builders) by default.
LEADERBOARD_PAGE_SIZE = 100
LEADERBOARD_MAX_PAGE_SIZE = 500

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"", "0", "false", "no", "off"})


def int_param(request: Request, name: str, *, default: int, minimum: int,
              maximum: int | None = None) -> int:
    """Read a whole-number query parameter in bounds; anything else is a 400 naming it."""
    text = request.query_params.get(name, "").strip()
    if not text:
        return default
    bounds = f"from {minimum}" + ("" if maximum is None else f" to {maximum}")
    if not text.isdigit() or not (minimum <= int(text) <= (maximum or int(text))):
        raise serializers.ValidationError(
            {name: [f"{text!r} is not a whole number {bounds}; use e.g. {name}={default}"]})
    return int(text)


def flag_param(request: Request, name: str) -> bool:
    """Read a yes/no query parameter; a value that is neither is a 400 naming it."""
    value = request.query_params.get(name, "").strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise serializers.ValidationError(
        {name: [f"{value!r} is not a yes/no value; use {name}=1 or {name}=0"]})


class ChallengeListApi(ServiceApi):
    """Published challenges, oldest first."""

    permission_classes = [AllowAny]
    pagination_class = CappedPageNumberPagination

    @extend_schema(summary="Published challenges (paginated)", operation_id="challenges_list",
                   responses={200: ChallengeOutputSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return paginated(self, request, challenges_published(),
                         lambda page: ChallengeOutputSerializer(page, many=True).data)


class ChallengeDetailApi(ServiceApi):
    """One challenge: task, data shape, metric, budgets, threshold, dates, the caller's quota."""

    permission_classes = [AllowAny]

    @extend_schema(summary="One challenge: task, data shape, metric, budgets, threshold, dates",
                   operation_id="challenges_detail",
                   responses={200: ChallengeDetailOutputSerializer})
    def get(self, request: Request, slug: str) -> Response:
        challenge = challenge_get(slug=slug, viewer=request.user)
        quota = (quota_status(user=request.user, challenge=challenge)
                 if request.user.is_authenticated else None)
        return Response(ChallengeDetailOutputSerializer(challenge,
                                                        context={"quota": quota}).data)


class LeaderboardApi(ServiceApi):
    """A challenge's ranked entries, a page at a time, with the caller's own entry."""

    permission_classes = [AllowAny]

    @extend_schema(
        summary="Ranked entries: rank, user, run, score, submitted_at, verification (paginated)",
        parameters=[
            OpenApiParameter("verified", OpenApiTypes.BOOL, description="1: only the entries a "
                             "second worker reproduced (their ranks stay those of the whole "
                             "board)"),
            OpenApiParameter("page", int, description="a page number, from 1"),
            OpenApiParameter("page_size", int, description="entries per page (default "
                             f"{LEADERBOARD_PAGE_SIZE}, at most {LEADERBOARD_MAX_PAGE_SIZE})"),
        ],
        responses={200: LeaderboardOutputSerializer})
    def get(self, request: Request, slug: str) -> HttpResponse:
        verified = flag_param(request, "verified")
        page_number = int_param(request, "page", default=1, minimum=1)
        page_size = int_param(request, "page_size", default=LEADERBOARD_PAGE_SIZE, minimum=1,
                              maximum=LEADERBOARD_MAX_PAGE_SIZE)
        challenge = challenge_get(slug=slug, viewer=request.user)
        page = leaderboard_page_data(challenge=challenge, offset=(page_number - 1) * page_size,
                                     limit=page_size, verified=verified)
        own = None
        if request.user.is_authenticated:
            if request.user.username in page.users:
                own = page.entries()[page.users.index(request.user.username)]
            else:
                entry = leaderboard_rank_of(challenge=challenge, user=request.user)
                if entry is not None and (not verified or entry.verified):
                    own = entry.as_dict()
        url = request.build_absolute_uri()
        more = page_number * page_size < page.count
        head = {
            "challenge": challenge.slug, "ranked_by": challenge.ranked_by,
            "metric": challenge.metric, "higher_is_better": challenge.higher_is_better,
            "ties": TIE_BREAK_TEXT, "verified_only": verified, "own": own, "count": page.count,
            "page": page_number, "page_size": page_size,
            "next": replace_query_param(url, "page", page_number + 1) if more else None,
            "previous": (None if page_number == 1 else
                         remove_query_param(url, "page") if page_number == 2 else
                         replace_query_param(url, "page", page_number - 1)),
        }
        # LeaderboardOutputSerializer's shape (the schema), spliced rather than serialised:
        # the entries are JSON text already, encoded once per change of the board.
        body = json.dumps(head)[:-1] + ', "entries": ' + page.entries_json + "}"
        return HttpResponse(body, content_type="application/json")
