"""Run APIs: submit a spec, read a run, cancel it, share it."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from challenges.apis.challenges import quota_data, visible_challenge
from challenges.apis.serializers import run_data
from challenges.models import Run
from challenges.selectors.runs import run_spec_visible, runs_visible_to
from challenges.services.runs import run_cancel, run_set_shared
from challenges.services.submissions import (
    ChallengeNotOpen,
    QuotaExceeded,
    SubmissionRejected,
    run_submit,
)
from descent.api.exceptions import TooManyRequests
from descent.api.pagination import CappedPageNumberPagination
from descent.api.serializers import StrictInputSerializer


class SubmissionApi(APIView):
    permission_classes = [IsAuthenticated]
    throttle_scope = "submissions"

    class SubmissionInputSerializer(StrictInputSerializer):
        spec = serializers.JSONField()
        note = serializers.CharField(max_length=500, required=False, allow_blank=True,
                                     default="")
        forked_from = serializers.IntegerField(required=False, allow_null=True, default=None)

    @extend_schema(
        summary="Submit a spec: 201 with the run (id, status, url)",
        request=SubmissionInputSerializer,
        responses={201: dict, 400: OpenApiResponse(description="field path → how to fix it"),
                   429: OpenApiResponse(description="daily quota spent; see Retry-After")},
    )
    def post(self, request: Request, slug: str) -> Response:
        challenge = visible_challenge(slug, request)
        serializer = self.SubmissionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        forked_from = None
        if serializer.validated_data["forked_from"] is not None:
            forked_from = runs_visible_to(request.user).filter(
                pk=serializer.validated_data["forked_from"]).first()
            if forked_from is None or not run_spec_visible(forked_from, request.user):
                raise ValidationError({"forked_from": ["no run with a spec you can see has "
                                                       "that id"]})
        try:
            run = run_submit(user=request.user, challenge=challenge,
                             spec=serializer.validated_data["spec"],
                             note=serializer.validated_data["note"], forked_from=forked_from)
        except SubmissionRejected as exc:
            raise ValidationError(exc.errors) from exc
        except ChallengeNotOpen as exc:
            raise PermissionDenied(str(exc)) from exc
        except QuotaExceeded as exc:
            quota = exc.quota
            raise TooManyRequests(
                str(exc), retry_after=quota.retry_after(),
                extra={"quota": {"limit": quota.limit, "used": quota.used, "left": quota.left,
                                 "resets_at": quota.resets_at}},
            ) from exc
        data = run_data(run, request.user)
        data["quota"] = quota_data(request, challenge)
        return Response(data, status=status.HTTP_201_CREATED)


class RunDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(summary="A run: status, spec (if visible), timestamps, history, score, error",
                   responses={200: dict, 404: OpenApiResponse(description="no such run")})
    def get(self, request: Request, run_id: int) -> Response:
        run = get_object_or_404(runs_visible_to(request.user), pk=run_id)
        return Response(run_data(run, request.user, with_history=True))


def _owned_run(request: Request, run_id: int) -> Run:
    run = runs_visible_to(request.user).filter(pk=run_id).first()
    if run is None:
        raise NotFound("no such run")
    if run.owner_id != request.user.pk and not request.user.is_staff:
        raise PermissionDenied("only the run's owner or staff can do this")
    return run


class RunCancelApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Cancel a run (owner or staff): at once if queued, within an epoch "
                   "if running", request=None, responses={200: dict})
    def post(self, request: Request, run_id: int) -> Response:
        run = run_cancel(run=_owned_run(request, run_id))
        return Response(run_data(run, request.user))


class RunShareApi(APIView):
    permission_classes = [IsAuthenticated]

    class ShareInputSerializer(StrictInputSerializer):
        shared = serializers.BooleanField()

    @extend_schema(summary="Show or hide the run's spec to everyone (owner or staff)",
                   request=ShareInputSerializer, responses={200: dict})
    def post(self, request: Request, run_id: int) -> Response:
        serializer = self.ShareInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        run = run_set_shared(run=_owned_run(request, run_id),
                             shared=serializer.validated_data["shared"])
        return Response(run_data(run, request.user))


class MyRunsApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="The caller's runs on a challenge (paginated)", responses={200: dict})
    def get(self, request: Request, slug: str) -> Response:
        challenge = visible_challenge(slug, request)
        runs = Run.objects.filter(owner=request.user, challenge=challenge).select_related(
            "challenge", "owner"
        )
        paginator = CappedPageNumberPagination()
        page = paginator.paginate_queryset(runs, request, view=self)
        return paginator.get_paginated_response([run_data(r, request.user) for r in page])
