"""The model registry over REST: cards, metrics and training curves. Models are not collection-bound: readable by all."""
from __future__ import annotations

from pathlib import Path

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound

from inscription.api.serializers import ModelVersionSerializer
from jobs.models import ModelVersion

PLOT_NAMES = ("training_curves.png", "curves.png", "plot.png", "loss_cer.png")


def plot_path(model: ModelVersion) -> Path | None:
    """The training-curve PNG in the model directory, if the training run left one."""
    if not model.path:
        return None
    folder = Path(model.path)
    for name in PLOT_NAMES:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


class ModelVersionViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ModelVersionSerializer
    permission_classes = [permissions.AllowAny]
    queryset = ModelVersion.objects.select_related("parent").order_by("task", "name", "-created_at", "-id")
    filterset_fields = ["task", "name", "sha256"]

    @extend_schema(responses={(200, "image/png"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def plot(self, request, pk=None):
        """The training curve (loss and validation CER) of this model, as PNG."""
        path = plot_path(self.get_object())
        if path is None:
            raise NotFound("This model has no training curve.")
        return FileResponse(open(path, "rb"), content_type="image/png")
