"""Run APIs: submit a spec, read a run, cancel it, share it, verify it, list the caller's runs."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from challenges.apis.serializers import (
    RunDetailOutputSerializer,
    RunOutputSerializer,
    SubmissionOutputSerializer,
)
from challenges.errors import NotAllowed, NotFound
from challenges.selectors.ghosts import ghost_source_get
from challenges.selectors.runs import runs_of_builder
from challenges.selectors.visibility import (
    challenge_get,
    fork_source_get,
    is_staff,
    run_get,
    run_get_owned,
)
from challenges.services.runs import run_cancel, run_set_shared
from challenges.services.submissions import quota_status, run_submit
from challenges.services.verification import verification_request, verification_request_top
from descent.api.pagination import CappedPageNumberPagination
from descent.api.schema import TooManyRequestsSerializer
from descent.api.serializers import IdField, StrictInputSerializer
from descent.api.views import ServiceApi, paginated


class SubmissionApi(ServiceApi):
    """Submit a spec to a challenge: one of today's runs."""

    permission_classes = [IsAuthenticated]
    throttle_scope = "submissions"

    class InputSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "SubmissionInput"

        spec = serializers.JSONField(help_text="the model spec (CONTRACT §1)")
        note = serializers.CharField(max_length=500, required=False, allow_blank=True,
                                     default="")
        forked_from = IdField(required=False, allow_null=True, default=None)
        ghost_run = IdField(
            required=False, allow_null=True, default=None,
            help_text="race this finished run of the challenge: its recorded losses replay "
                      "beside the new run, epoch by epoch (never its spec)")

        def validate_forked_from(self, run_id: int | None) -> object:
            if run_id is None:
                return None
            run = fork_source_get(run_id=run_id, viewer=self.context["viewer"])
            if run is None:
                raise serializers.ValidationError("no run with a spec you can see has that id")
            return run

        def validate_ghost_run(self, run_id: int | None) -> object:
            if run_id is None:
                return None
            try:
                return ghost_source_get(run_id=run_id, viewer=self.context["viewer"],
                                        challenge=self.context["challenge"])
            except (NotFound, ValueError) as exc:
                raise serializers.ValidationError(str(exc)) from None

    @extend_schema(
        summary="Submit a spec: 201 with the run (id, status, url)",
        request=InputSerializer,
        responses={
            201: SubmissionOutputSerializer,
            403: OpenApiResponse(description="the challenge does not take submissions now"),
            429: OpenApiResponse(TooManyRequestsSerializer, description="today's quota is "
                                 "spent (the body adds `quota`), or throttled; see Retry-After"),
        },
    )
    def post(self, request: Request, slug: str) -> Response:
        challenge = challenge_get(slug=slug, viewer=request.user)
        serializer = self.InputSerializer(data=request.data, context={"viewer": request.user,
                                                                      "challenge": challenge})
        serializer.is_valid(raise_exception=True)
        run = run_submit(user=request.user, challenge=challenge, **serializer.validated_data)
        context = {"viewer": request.user,
                   "quota": quota_status(user=request.user, challenge=challenge)}
        return Response(SubmissionOutputSerializer(run, context=context).data,
                        status=status.HTTP_201_CREATED)


class RunDetailApi(ServiceApi):
    """One run as the caller may see it."""

    permission_classes = [AllowAny]

    @extend_schema(summary="A run: status, spec (if visible), timestamps, history, score, error",
                   responses={200: RunDetailOutputSerializer})
    def get(self, request: Request, run_id: int) -> Response:
        run = run_get(run_id=run_id, viewer=request.user)
        return Response(RunDetailOutputSerializer(run, context={"viewer": request.user}).data)


class RunCancelApi(ServiceApi):
    """Cancel a run (owner or staff)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Cancel a run (owner or staff): at once if queued, within an epoch "
                   "if running", request=None, responses={200: RunOutputSerializer})
    def post(self, request: Request, run_id: int) -> Response:
        run = run_cancel(run=run_get_owned(run_id=run_id, viewer=request.user))
        return Response(RunOutputSerializer(run, context={"viewer": request.user}).data)


class RunShareApi(ServiceApi):
    """Show or hide a run's spec to everyone (owner or staff)."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "RunShareInput"

        shared = serializers.BooleanField()

    @extend_schema(summary="Show or hide the run's spec to everyone (owner or staff)",
                   request=InputSerializer, responses={200: RunOutputSerializer})
    def post(self, request: Request, run_id: int) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        run = run_set_shared(run=run_get_owned(run_id=run_id, viewer=request.user),
                             shared=serializer.validated_data["shared"])
        return Response(RunOutputSerializer(run, context={"viewer": request.user}).data)


def _staff_only(viewer: object) -> None:
    if not is_staff(viewer):
        raise NotAllowed("only staff can ask for a verification")


class RunVerifyApi(ServiceApi):
    """Ask a second worker to re-train a finished run and compare its history (staff)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Verify a finished run (staff): 202, its verification pending; a "
                   "worker re-trains it and records reproduced or mismatch", request=None,
                   responses={202: RunOutputSerializer,
                              403: OpenApiResponse(description="not staff")})
    def post(self, request: Request, run_id: int) -> Response:
        run = run_get(run_id=run_id, viewer=request.user)
        _staff_only(request.user)
        verification_request(runs=[run], requested_by=request.user)
        run = run_get(run_id=run_id, viewer=request.user)
        return Response(RunOutputSerializer(run, context={"viewer": request.user}).data,
                        status=status.HTTP_202_ACCEPTED)


class ChallengeVerifyApi(ServiceApi):
    """Ask for the top entries of a challenge's leaderboard to be verified (staff)."""

    permission_classes = [IsAuthenticated]

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "VerificationRequest"

        challenge = serializers.SlugField()
        runs = serializers.ListField(child=serializers.IntegerField(),
                                     help_text="the runs whose verification is now pending")

    @extend_schema(summary="Verify the top entries (VERIFY_TOP_N) of a challenge (staff): 202",
                   request=None, responses={202: OutputSerializer,
                                            403: OpenApiResponse(description="not staff")})
    def post(self, request: Request, slug: str) -> Response:
        challenge = challenge_get(slug=slug, viewer=request.user)
        _staff_only(request.user)
        checks = verification_request_top(challenge=challenge, requested_by=request.user)
        return Response(self.OutputSerializer({"challenge": challenge.slug,
                                               "runs": [c.run_id for c in checks]}).data,
                        status=status.HTTP_202_ACCEPTED)


class MyRunsApi(ServiceApi):
    """The caller's runs on a challenge, newest first."""

    permission_classes = [IsAuthenticated]
    pagination_class = CappedPageNumberPagination

    @extend_schema(summary="The caller's runs on a challenge (paginated)",
                   responses={200: RunOutputSerializer(many=True)})
    def get(self, request: Request, slug: str) -> Response:
        challenge = challenge_get(slug=slug, viewer=request.user)
        runs = runs_of_builder(user=request.user, challenge=challenge)
        return paginated(self, request, runs, lambda page: RunOutputSerializer(
            page, many=True, context={"viewer": request.user}).data)
