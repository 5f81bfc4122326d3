"""Challenge APIs: list, detail (with the caller's quota), leaderboard."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from challenges.apis.serializers import (
    ChallengeDetailOutputSerializer,
    ChallengeOutputSerializer,
    LeaderboardOutputSerializer,
)
from challenges.selectors.leaderboards import TIE_BREAK_TEXT, leaderboard_get
from challenges.selectors.visibility import challenge_get, challenges_published
from challenges.services.submissions import quota_status
from descent.api.pagination import CappedPageNumberPagination
from descent.api.views import ServiceApi, paginated


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

    @extend_schema(summary="Ranked entries: rank, user, run, score, submitted_at",
                   responses={200: LeaderboardOutputSerializer})
    def get(self, request: Request, slug: str) -> Response:
        challenge = challenge_get(slug=slug, viewer=request.user)
        board = {"challenge": challenge, "ties": TIE_BREAK_TEXT,
                 "entries": leaderboard_get(challenge=challenge)}
        return Response(LeaderboardOutputSerializer(board).data)
