"""Challenge APIs: list, detail (with the caller's quota), leaderboard."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from challenges.apis.serializers import challenge_data
from challenges.models import Challenge
from challenges.selectors.leaderboards import TIE_BREAK_TEXT, leaderboard_get
from challenges.selectors.runs import challenges_visible_to
from challenges.services.submissions import quota_status
from descent.api.pagination import CappedPageNumberPagination


def visible_challenge(slug: str, request: Request) -> Challenge:
    """Return the challenge, 404 for a draft unless the caller is staff."""
    return get_object_or_404(challenges_visible_to(request.user), slug=slug)


def quota_data(request: Request, challenge: Challenge) -> dict | None:
    if not request.user.is_authenticated:
        return None
    quota = quota_status(user=request.user, challenge=challenge)
    return {"limit": quota.limit, "used": quota.used, "left": quota.left,
            "resets_at": quota.resets_at}


class ChallengeListApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(summary="Published challenges (paginated)", responses={200: dict},
                   operation_id="challenges_list")
    def get(self, request: Request) -> Response:
        challenges = Challenge.objects.exclude(status=Challenge.Status.DRAFT).order_by(
            "created_at", "id"
        )
        paginator = CappedPageNumberPagination()
        page = paginator.paginate_queryset(challenges, request, view=self)
        return paginator.get_paginated_response([challenge_data(c) for c in page])


class ChallengeDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(summary="One challenge: task, data shape, metric, budgets, threshold, dates",
                   responses={200: dict, 404: OpenApiResponse(description="no such challenge")},
                   operation_id="challenges_detail")
    def get(self, request: Request, slug: str) -> Response:
        challenge = visible_challenge(slug, request)
        data = challenge_data(challenge, detail=True)
        data["quota"] = quota_data(request, challenge)
        return Response(data)


class LeaderboardApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(summary="Ranked entries: rank, user, run, score, submitted_at",
                   responses={200: dict})
    def get(self, request: Request, slug: str) -> Response:
        challenge = visible_challenge(slug, request)
        entries = leaderboard_get(challenge=challenge)
        return Response({
            "challenge": challenge.slug,
            "ranked_by": challenge.ranked_by,
            "metric": challenge.metric,
            "higher_is_better": challenge.higher_is_better,
            "ties": TIE_BREAK_TEXT,
            "entries": [entry.as_dict() for entry in entries],
        })
