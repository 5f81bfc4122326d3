"""Blueprint APIs: the learning path with the caller's states, node quizzes, the lab."""

from __future__ import annotations

import uuid

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from challenges.apis.serializers import (
    BlueprintOutputSerializer,
    LabOutputSerializer,
    QuizOutputSerializer,
    QuizResultOutputSerializer,
)
from challenges.errors import NodeLocked
from challenges.models import Run
from challenges.selectors.blueprint import LOCKED, blueprint_states, node_state_of
from challenges.selectors.lab import lab_explain
from challenges.selectors.visibility import challenge_get, lab_runs, node_get, run_spec_visible
from challenges.services.blueprint import quiz_answer
from challenges.services.lab import lab_submit
from descent.api.schema import TooManyRequestsSerializer
from descent.api.serializers import BoundedDictField, StrictInputSerializer
from descent.api.views import ServiceApi


class BlueprintApi(ServiceApi):
    """The learning path with the caller's state of every node."""

    permission_classes = [AllowAny]

    @extend_schema(summary="The learning path: nodes, prerequisites and the caller's state "
                   "(locked, open, cleared), best score, threshold, quiz passed",
                   responses={200: BlueprintOutputSerializer}, operation_id="blueprint_list")
    def get(self, request: Request) -> Response:
        states = blueprint_states(user=request.user)
        return Response(BlueprintOutputSerializer({"nodes": states}).data)


class QuizApi(ServiceApi):
    """A node's quiz: read its questions, or answer them."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "QuizInput"

        answers = BoundedDictField(max_keys=100, child=serializers.CharField(max_length=50),
                                   allow_empty=False,
                                   help_text="{question key: choice key}, every question")

    @extend_schema(summary="A node's quiz: questions and choices, never the answers",
                   responses={200: QuizOutputSerializer,
                              403: OpenApiResponse(description="the node is locked")},
                   operation_id="blueprint_quiz_get")
    def get(self, request: Request, slug: str) -> Response:
        node = node_get(slug=slug)
        state = node_state_of(blueprint_states(user=request.user), node)
        if state.state == LOCKED:
            raise NodeLocked(f"“{node.title}” is locked: {' '.join(state.needs)}")
        return Response(QuizOutputSerializer(node, context={"state": state}).data)

    @extend_schema(summary="Answer a node's quiz: which answers were right, with explanations",
                   request=InputSerializer,
                   responses={200: QuizResultOutputSerializer,
                              403: OpenApiResponse(description="the node is locked")},
                   operation_id="blueprint_quiz_answer")
    def post(self, request: Request, slug: str) -> Response:
        node = node_get(slug=slug)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = quiz_answer(user=request.user, node=node,
                             answers=serializer.validated_data["answers"])
        return Response(QuizResultOutputSerializer(result).data)


def lab_data(runs: list[Run], viewer: object) -> dict:
    """Describe a lab: its runs (as `viewer` may see them) and what happened to each."""
    show_rates = all(run_spec_visible(run, viewer) for run in runs)
    lab = {"group": runs[0].lab_group, "runs": runs,
           "explanation": lab_explain(runs, show_rates=show_rates)}
    return LabOutputSerializer(lab, context={"viewer": viewer}).data


class LabApi(ServiceApi):
    """Start a lab: one spec at learning rate ÷10, ×1 and ×10."""

    permission_classes = [IsAuthenticated]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "lab"

    class InputSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "LabInput"

        spec = serializers.JSONField(help_text="the model spec (CONTRACT §1)")

    @extend_schema(summary="Train a spec at learning rate ÷10, ×1 and ×10: 201 with the three "
                   "runs (unranked, outside the quota)", request=InputSerializer,
                   responses={201: LabOutputSerializer,
                              403: OpenApiResponse(description="the challenge does not take "
                                                   "submissions now"),
                              429: OpenApiResponse(TooManyRequestsSerializer,
                                                   description="2 labs still running, or "
                                                   "throttled; see Retry-After")})
    def post(self, request: Request, slug: str) -> Response:
        challenge = challenge_get(slug=slug, viewer=request.user)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        runs = lab_submit(user=request.user, challenge=challenge,
                          spec=serializer.validated_data["spec"])
        return Response(lab_data(runs, request.user), status=status.HTTP_201_CREATED)


class LabDetailApi(ServiceApi):
    """One lab."""

    permission_classes = [AllowAny]

    @extend_schema(summary="A lab: its three runs and what happened to each",
                   responses={200: LabOutputSerializer})
    def get(self, request: Request, group: uuid.UUID) -> Response:
        return Response(lab_data(lab_runs(group=group, viewer=request.user), request.user))
