"""Challenge APIs: list, detail (with the caller's quota), leaderboard."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from challenges.apis.serializers import (
    ChallengeDetailOutputSerializer,
    ChallengeOutputSerializer,
    LeaderboardOutputSerializer,
)
from challenges.selectors.leaderboards import TIE_BREAK_TEXT, leaderboard_get, verified_only
from challenges.selectors.visibility import challenge_get, challenges_published
from challenges.services.submissions import quota_status
from descent.api.pagination import CappedPageNumberPagination
from descent.api.views import ServiceApi, paginated

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"", "0", "false", "no", "off"})


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
    """A challenge's ranked entries."""

    permission_classes = [AllowAny]

    @extend_schema(summary="Ranked entries: rank, user, run, score, submitted_at, verification",
                   parameters=[OpenApiParameter(
                       "verified", OpenApiTypes.BOOL, description="1: only the entries a "
                       "second worker reproduced (their ranks stay those of the whole board)")],
                   responses={200: LeaderboardOutputSerializer})
    def get(self, request: Request, slug: str) -> Response:
        verified = flag_param(request, "verified")
        challenge = challenge_get(slug=slug, viewer=request.user)
        entries = leaderboard_get(challenge=challenge)
        board = {"challenge": challenge, "ties": TIE_BREAK_TEXT, "verified_only": verified,
                 "entries": verified_only(entries) if verified else entries}
        return Response(LeaderboardOutputSerializer(board).data)
