"""The stepper's API: one real training step of a tiny network, recomputed for a new rate."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from challenges.selectors.stepper import (
    MAX_BATCH,
    MAX_LEARNING_RATE,
    MIN_LEARNING_RATE,
    STEPPER_OPTIMIZERS,
    step_trace,
)
from descent.api.serializers import StrictInputSerializer
from descent.api.views import ServiceApi


class StepOutputSerializer(serializers.Serializer):
    """`descent.engine.trace_step`'s record (docs/engine.md, "The step tracer")."""

    class Meta:
        ref_name = "Step"

    spec = serializers.JSONField(help_text="the stepper's normalised spec")
    dtype = serializers.CharField()
    batch = serializers.JSONField(help_text="X (n, 2) and y (n,)")
    forward = serializers.ListField(child=serializers.JSONField(),
                                    help_text="per layer: layer, activation, X, W, b, Z, A, "
                                              "dropout_mask, output")
    loss = serializers.JSONField(help_text="name, fused_with, value, penalty, total, "
                                 "gradient, predictions")
    backward = serializers.ListField(child=serializers.JSONField(),
                                     help_text="last layer first: layer, dA, dZ, dW, db")
    gradient_clip = serializers.JSONField(allow_null=True)
    update = serializers.JSONField(help_text="optimizer, rule, learning_rate, settings, "
                                   "layers (W_before, gradient_W, step_W, W_after, same for b), "
                                   "state")
    loss_after = serializers.FloatField(allow_null=True)


class StepApi(ServiceApi):
    """`GET /api/blueprint/step/?optimizer=adam&learning_rate=0.5&batch=4`."""

    permission_classes = [AllowAny]

    class InputSerializer(StrictInputSerializer):
        class Meta:
            ref_name = "StepInput"

        optimizer = serializers.ChoiceField(choices=STEPPER_OPTIMIZERS, default="sgd")
        learning_rate = serializers.FloatField(
            default=0.5, min_value=MIN_LEARNING_RATE, max_value=MAX_LEARNING_RATE,
            error_messages={
                "min_value": f"use a learning rate ≥ {MIN_LEARNING_RATE:g}, e.g. 0.5",
                "max_value": f"use a learning rate ≤ {MAX_LEARNING_RATE:g}, e.g. 0.5",
                "invalid": "use a number, e.g. 0.5",
            })
        batch = serializers.IntegerField(default=4, min_value=1, max_value=MAX_BATCH)

    @extend_schema(
        summary="One real training step of a 2-3-3 network on a tiny batch, line by line "
                "(descent.engine.trace_step): forward, loss, backward, update",
        parameters=[
            OpenApiParameter("optimizer", str, enum=list(STEPPER_OPTIMIZERS)),
            OpenApiParameter("learning_rate", float,
                             description=f"{MIN_LEARNING_RATE:g} to {MAX_LEARNING_RATE:g}"),
            OpenApiParameter("batch", int, description=f"rows, 1 to {MAX_BATCH}"),
        ],
        responses={200: StepOutputSerializer},
    )
    def get(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.query_params.dict())
        serializer.is_valid(raise_exception=True)
        return Response(step_trace(**serializer.validated_data))
