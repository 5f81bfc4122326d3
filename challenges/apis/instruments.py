"""Instrument APIs: a run's boundary frames, layer statistics and terrain; a lab's terrain."""

from __future__ import annotations

import uuid

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from challenges.selectors.instruments import lab_terrain, run_instruments
from challenges.selectors.visibility import lab_runs, run_get
from descent.api.views import ServiceApi

FRAME_SCHEMA = {
    "type": "object", "additionalProperties": True,
    "description": "A boundary frame (docs/engine.md, boundary.py): epoch, bounds, size, "
                   "encoding, kind, classes+confidence or values+range (uint8, base64)",
}
TERRAIN_SCHEMA = {
    "type": "object", "nullable": True, "additionalProperties": True,
    "description": "status (pending, ready, failed), error, seconds, surface: alphas, betas, "
                   "loss (n×n, rows along betas), paths [{epochs, points}], runs, diverged, "
                   "directions, explained_variance, rows, forward_passes, split",
}


class BoundarySerializer(serializers.Serializer):
    class Meta:
        ref_name = "RunBoundary"

    frames = serializers.ListField(child=serializers.JSONField())
    points = serializers.JSONField(help_text="a sample of the training split: x, y, labels, "
                                   "task (never a validation or test label)")


class RunInstrumentsOutputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "RunInstruments"

    run = serializers.IntegerField()
    boundary = BoundarySerializer(allow_null=True, help_text="2-input challenges only")
    layers = serializers.ListField(
        child=serializers.JSONField(), allow_null=True,
        help_text="[{epoch, layers: [{layer, grad_rms, weight_rms, update_ratio}]}], thinned "
                  "to ≤ 300; null unless the viewer may see the run's spec")
    terrain = serializers.JSONField(allow_null=True)


class RunInstrumentsApi(ServiceApi):
    """What the viewer may see of one run's instruments, every stored frame included."""

    permission_classes = [AllowAny]

    @extend_schema(summary="A run's instruments: boundary frames and training points, layer "
                   "statistics (spec viewers only), terrain",
                   responses={200: RunInstrumentsOutputSerializer})
    def get(self, request: Request, run_id: int) -> Response:
        run = run_get(run_id=run_id, viewer=request.user)
        data = {"run": run.pk, **run_instruments(run, request.user, all_frames=True)}
        return Response(data)


class LabTerrainApi(ServiceApi):
    """A lab's shared terrain: its runs' paths on one slice."""

    permission_classes = [AllowAny]

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "LabTerrain"

        lab = serializers.UUIDField()
        runs = serializers.ListField(child=serializers.IntegerField())
        terrain = serializers.JSONField(allow_null=True)

    @extend_schema(summary="A lab's shared terrain (null until its last run ended)",
                   responses={200: OutputSerializer})
    def get(self, request: Request, group: uuid.UUID) -> Response:
        runs = lab_runs(group=group, viewer=request.user)
        return Response({"lab": group, "runs": [run.pk for run in runs],
                         "terrain": lab_terrain(group)})
