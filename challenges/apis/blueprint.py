"""Blueprint APIs: the learning path with the caller's states, node quizzes, the lab."""

from __future__ import annotations

import uuid
from typing import Any

from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from challenges.apis.challenges import visible_challenge
from challenges.apis.serializers import run_data
from challenges.models import BlueprintNode
from challenges.selectors.blueprint import LOCKED, blueprint_nodes, blueprint_states, node_state
from challenges.selectors.lab import lab_explain, lab_runs
from challenges.services.blueprint import NodeLocked, QuizInvalid, quiz_answer
from challenges.services.lab import LabBusy, lab_submit
from challenges.services.submissions import ChallengeNotOpen, SubmissionRejected
from descent.api.exceptions import TooManyRequests
from descent.api.serializers import StrictInputSerializer

# A busy lab frees up when one of its runs ends: ask again in about this many seconds.
LAB_BUSY_RETRY_AFTER = 30


class BlueprintApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(summary="The learning path: nodes, prerequisites and the caller's state "
                   "(locked, open, cleared), best score, threshold, quiz passed",
                   responses={200: dict}, operation_id="blueprint_list")
    def get(self, request: Request) -> Response:
        states = blueprint_states(user=request.user)
        return Response({"nodes": [state.as_dict() for state in states]})


def quiz_data(node: BlueprintNode) -> dict[str, Any]:
    """Describe a quiz's questions and choices: never which choice is correct."""
    return {
        "node": node.slug,
        "questions": [
            {"key": question.key, "text": question.text,
             "choices": [{"key": choice.key, "text": choice.text}
                         for choice in question.choices.all()]}
            for question in node.questions.all()
        ],
    }


def _node_or_404(slug: str) -> BlueprintNode:
    node = blueprint_nodes().filter(challenge__slug=slug).prefetch_related(
        "questions__choices").first()
    if node is None:
        raise NotFound(f"no blueprint node '{slug}'")
    return node


class QuizApi(APIView):
    permission_classes = [IsAuthenticated]

    class QuizInputSerializer(StrictInputSerializer):
        answers = serializers.DictField(child=serializers.CharField(max_length=50),
                                        allow_empty=False)

    @extend_schema(summary="A node's quiz: questions and choices, never the answers",
                   responses={200: dict, 403: OpenApiResponse(description="node locked")},
                   operation_id="blueprint_quiz_get")
    def get(self, request: Request, slug: str) -> Response:
        node = _node_or_404(slug)
        state = node_state(user=request.user, slug=slug)
        if state is None or state.state == LOCKED:
            raise PermissionDenied(f"“{node.title}” is locked: "
                                   f"{' '.join(state.needs if state else [])}")
        data = quiz_data(node)
        data["passed"] = state.quiz_passed
        return Response(data)

    @extend_schema(summary="Answer a node's quiz: which answers were right, with explanations",
                   request=QuizInputSerializer,
                   responses={200: dict, 400: OpenApiResponse(description="unknown keys"),
                              403: OpenApiResponse(description="node locked")},
                   operation_id="blueprint_quiz_answer")
    def post(self, request: Request, slug: str) -> Response:
        node = _node_or_404(slug)
        serializer = self.QuizInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            result = quiz_answer(user=request.user, node=node,
                                 answers=serializer.validated_data["answers"])
        except NodeLocked as exc:
            raise PermissionDenied(str(exc)) from exc
        except QuizInvalid as exc:
            raise ValidationError({"answers": exc.errors}) from exc
        state = node_state(user=request.user, slug=slug)
        return Response({
            "node": node.slug,
            "all_correct": result.all_correct,
            "results": [
                {"key": r.key, "correct": r.correct, "chosen": r.chosen,
                 "correct_choice": r.correct_choice, "explanation": r.explanation}
                for r in result.results
            ],
            "node_cleared": result.node_cleared,
            "state": state.state if state else None,
        })


def lab_data(group: uuid.UUID, runs: list, viewer: Any) -> dict[str, Any]:
    return {
        "lab": str(group),
        "url": reverse("lab-page", args=[group]),
        "runs": [run_data(run, viewer) for run in runs],
        "explanation": lab_explain(runs),
    }


class LabApi(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "lab"

    class LabInputSerializer(StrictInputSerializer):
        spec = serializers.JSONField()

    @extend_schema(summary="Train a spec at learning rate ÷10, ×1 and ×10: 201 with the three "
                   "runs (unranked, outside the quota)", request=LabInputSerializer,
                   responses={201: dict, 400: OpenApiResponse(description="spec errors"),
                              429: OpenApiResponse(description="2 labs still running, or "
                                                   "throttled; see Retry-After")})
    def post(self, request: Request, slug: str) -> Response:
        challenge = visible_challenge(slug, request)
        serializer = self.LabInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            runs = lab_submit(user=request.user, challenge=challenge,
                              spec=serializer.validated_data["spec"])
        except SubmissionRejected as exc:
            raise ValidationError(exc.errors) from exc
        except ChallengeNotOpen as exc:
            raise PermissionDenied(str(exc)) from exc
        except LabBusy as exc:
            raise TooManyRequests(str(exc), retry_after=LAB_BUSY_RETRY_AFTER) from exc
        return Response(lab_data(runs[0].lab_group, runs, request.user),
                        status=status.HTTP_201_CREATED)


class LabDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(summary="A lab: its three runs and what happened to each",
                   responses={200: dict, 404: OpenApiResponse(description="no such lab")})
    def get(self, request: Request, group: uuid.UUID) -> Response:
        runs = list(lab_runs(group=group, viewer=request.user))
        if not runs:
            raise NotFound("no such lab")
        return Response(lab_data(group, runs, request.user))
