"""The model registry over REST: cards, metrics and training curves. Models are not collection-bound: readable by all."""
from __future__ import annotations

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound

from inscription.api.serializers import ModelVersionSerializer
from jobs.models import ModelVersion
from jobs.services.models import plot_path


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
