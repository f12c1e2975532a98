"""What every holdings view shares: querysets limited to readable collections, and object permissions."""
from __future__ import annotations

import json

from django.db.models import Model, QuerySet
from rest_framework import viewsets
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from archive.api.access import CollectionAccess
from archive.api.pagination import HoldingsPagination
from archive.models import Collection
from archive.permissions import readable_collection_ids


class CollectionScopedViewSet(viewsets.ModelViewSet):
    """A viewset over objects that belong to a collection through ``collection_path``.

    Lists and lookups only ever see readable collections (so a hidden object is a 404);
    writes go through archive.permissions.CollectionAccess (viewer reads, curator writes).
    """

    permission_classes = [CollectionAccess]
    pagination_class = HoldingsPagination
    collection_path = "collection"

    def base_queryset(self) -> QuerySet:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet:
        user = self.request.user
        return self.base_queryset().filter(**{f"{self.collection_path}__in": readable_collection_ids(user)})

    def collection_of(self, obj: Model) -> Collection:
        for part in self.collection_path.split("__"):
            obj = getattr(obj, part)
        return obj


class ImageRenderer(BaseRenderer):
    """Lets clients that send ``Accept: image/*`` reach the image views; errors are still JSON."""

    media_type = "image/*"
    format = "image"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        return data if isinstance(data, bytes) else json.dumps(data).encode()


class JsonErrorsForImagesMixin:
    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if isinstance(response, Response) and isinstance(getattr(response, "accepted_renderer", None), ImageRenderer):
            response.accepted_renderer = JSONRenderer()
            response.accepted_media_type = "application/json"
        return response
