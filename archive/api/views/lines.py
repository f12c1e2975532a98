"""Line geometry: draw, reshape, split, merge, reorder and delete, each a versioned act (archive.services.layout)."""
from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from archive.api.filters import LineFilter
from archive.api.layout_serializers import (
    GeometryRevisionSerializer,
    MergeSerializer,
    ReorderSerializer,
    SplitResultSerializer,
    SplitSerializer,
)
from archive.api.serializers import LineSerializer, LineUpdateSerializer
from archive.api.views.base import CollectionScopedViewSet
from archive.models import GeometryRevision, Line
from archive.permissions import WRITE, require
from archive.services.layout import lines as layout_lines
from archive.services.layout import order as reading_order
from archive.services.layout import split_merge
from palimpsest.errors import InputError
from palimpsest.pagination import ScanPageSafePagination

BAD_GEOMETRY = OpenApiResponse(description="Bad geometry (self-intersecting polygon, point outside the image, empty "
                                           "baseline): error code invalid_geometry; nothing is stored")


class LineViewSet(CollectionScopedViewSet):
    """Lines of a page. A delete retires the line (its texts are withdrawn, annotations on it flagged orphaned);
    every change leaves a geometry revision (``/revisions/``)."""

    collection_path = "page__document__collection"
    filterset_class = LineFilter
    search_index = "line"  # ?search= finds lines by their current reading (the search app's index)
    pagination_class = ScanPageSafePagination  # ?page= is the scan-page filter; the page number is ?p=
    ordering_fields = ["id", "order", "created_at"]

    def base_queryset(self):
        return Line.objects.select_related("created_by", "page__document__collection").order_by("page_id", "order", "id")

    def get_serializer_class(self):
        return {"update": LineUpdateSerializer, "partial_update": LineUpdateSerializer, "split": SplitSerializer,
                "merge": MergeSerializer, "reorder": ReorderSerializer,
                "revisions": GeometryRevisionSerializer}.get(self.action, LineSerializer)

    @extend_schema(responses={201: LineSerializer, 400: BAD_GEOMETRY})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        page = data.pop("page")
        require(request.user, page.document.collection, WRITE)
        line = layout_lines.add_line(page=page, user=request.user, polygon=data.get("polygon"),
                                     baseline=data.get("baseline"),
                                     order=data.get("order"), region=data.get("region_id"),
                                     external_id=data.get("external_id", ""))
        return Response(LineSerializer(line, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: LineSerializer, 400: BAD_GEOMETRY})
    def update(self, request, *args, **kwargs):
        return super().update(request, *args, **kwargs)

    @extend_schema(responses={200: LineSerializer, 400: BAD_GEOMETRY})
    def partial_update(self, request, *args, **kwargs):
        return super().partial_update(request, *args, **kwargs)

    def perform_update(self, serializer) -> None:
        line, data, user = serializer.instance, serializer.validated_data, self.request.user
        if "polygon" in data or "baseline" in data:
            line = layout_lines.edit_line(line, user=user, polygon=data.get("polygon"), baseline=data.get("baseline"))
        if "region_id" in data:
            line = layout_lines.set_line_region(line, data["region_id"], user=user)
        if "order" in data and data["order"] != line.order:
            reading_order.move_line(line, data["order"], user=user)
        if "external_id" in data and data["external_id"] != line.external_id:
            Line.objects.filter(pk=line.pk).update(external_id=data["external_id"])
        serializer.instance = Line.objects.get(pk=line.pk)

    def perform_destroy(self, instance: Line) -> None:
        layout_lines.delete_line(instance, user=self.request.user)

    @extend_schema(request=SplitSerializer, responses={201: SplitResultSerializer, 400: BAD_GEOMETRY})
    @action(detail=True, methods=["post"])
    def split(self, request, pk=None):
        """Cut the line at page column ``x``: it keeps the left part, a new line after it gets the right part
        (and the right part of each layer's text)."""
        line = self.get_object()
        serializer = SplitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        left, right = split_merge.split_line(line, serializer.validated_data["x"], user=request.user)
        return Response({"left": left.pk, "right": right.pk}, status=status.HTTP_201_CREATED)

    @extend_schema(request=MergeSerializer, responses={200: LineSerializer, 400: BAD_GEOMETRY})
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        """Merge with ``other``: the earlier line in reading order stays, with both geometries and texts."""
        line = self.get_object()
        serializer = MergeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        other = self.get_queryset().filter(pk=serializer.validated_data["other"]).first()
        if other is None:
            raise InputError(f"No line {serializer.validated_data['other']} to merge with.", code="bad_merge")
        kept = split_merge.merge_lines(line, other, user=request.user)
        return Response(LineSerializer(kept, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses={200: LineSerializer, 400: BAD_GEOMETRY})
    @action(detail=True, methods=["post"])
    def fit(self, request, pk=None):
        """Fit the polygon to the line's baseline on the scan (the segmenter's band at the page's line spacing,
        less the neighbour lines' ink): a new geometry version, the old polygon kept in the revisions."""
        line = layout_lines.refit_line(self.get_object(), user=request.user)
        return Response(LineSerializer(line, context=self.get_serializer_context()).data)

    @extend_schema(request=ReorderSerializer, responses={200: LineSerializer(many=True)})
    @action(detail=False, methods=["post"])
    def reorder(self, request):
        """Set the reading order of a page: ``lines`` lists every line of the page once, in order."""
        serializer = ReorderSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        page = serializer.validated_data["page"]
        require(request.user, page.document.collection, WRITE)
        lines = reading_order.reorder_lines(page, serializer.validated_data["lines"], user=request.user)
        return Response(LineSerializer(lines, many=True, context=self.get_serializer_context()).data)

    @extend_schema(responses={200: GeometryRevisionSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def revisions(self, request, pk=None):
        """Every recorded state of the line's geometry, oldest first (the old geometry is never lost)."""
        line = self.get_object()
        qs = GeometryRevision.objects.filter(line=line).select_related("created_by").order_by("version", "id")
        return Response(GeometryRevisionSerializer(qs, many=True).data)
