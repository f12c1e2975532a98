"""Line geometry: polygon, baseline and reading order, attributed to whoever drew it."""
from __future__ import annotations

from rest_framework import status
from rest_framework.response import Response

from archive.api.filters import LineFilter
from archive.api.serializers import LineSerializer, LineUpdateSerializer
from archive.api.views.base import CollectionScopedViewSet
from archive.models import Line
from archive.permissions import WRITE, require
from archive.services import geometry
from archive.services.documents import delete_guarded
from palimpsest.pagination import ScanPageSafePagination


class LineViewSet(CollectionScopedViewSet):
    collection_path = "page__document__collection"
    filterset_class = LineFilter
    search_index = "line"  # ?search= finds lines by their current reading (the search app's index)
    pagination_class = ScanPageSafePagination  # ?page= is the scan-page filter; the page number is ?p=
    ordering_fields = ["id", "order", "created_at"]

    def base_queryset(self):
        return Line.objects.select_related("created_by", "page__document__collection").order_by("page_id", "order", "id")

    def get_serializer_class(self):
        return LineUpdateSerializer if self.action in ("update", "partial_update") else LineSerializer

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        page = data.pop("page")
        require(request.user, page.document.collection, WRITE)
        line = geometry.create_line(page=page, user=request.user, **data)
        return Response(self.get_serializer(line).data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer) -> None:
        serializer.instance = geometry.update_line(serializer.instance, user=self.request.user, **serializer.validated_data)

    def perform_destroy(self, instance: Line) -> None:
        delete_guarded(instance)
