"""Regions (SegmOnto zones) and the page-wide layout history, through archive.services.layout."""
from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from archive.api.layout_serializers import GeometryRevisionSerializer, RegionSerializer, RegionUpdateSerializer
from archive.api.views.base import CollectionScopedViewSet
from archive.api.views.lines import BAD_GEOMETRY
from archive.models import GeometryRevision, Region
from archive.permissions import WRITE, readable_collection_ids, require
from archive.services.layout import regions as layout_regions
from palimpsest.ids import IdFilter
from palimpsest.pagination import ScanPageSafePagination


class RegionFilter(django_filters.FilterSet):
    page = IdFilter(field_name="page_id")
    document = IdFilter(field_name="page__document_id")
    kind = django_filters.CharFilter(field_name="kind")

    class Meta:
        model = Region
        fields = ["page", "document", "kind"]


class RegionViewSet(CollectionScopedViewSet):
    """Regions of a page: draw, reshape, retype (``kind``), delete (retires it; its lines stay on the page)."""

    collection_path = "page__document__collection"
    filterset_class = RegionFilter
    pagination_class = ScanPageSafePagination  # ?page= is the scan-page filter; the page number is ?p=
    ordering_fields = ["id", "order", "created_at"]

    def base_queryset(self):
        return (Region.objects.select_related("created_by", "page__document__collection").prefetch_related("lines")
                .order_by("page_id", "order", "id"))

    def get_serializer_class(self):
        return RegionUpdateSerializer if self.action in ("update", "partial_update") else RegionSerializer

    @extend_schema(responses={201: RegionSerializer, 400: BAD_GEOMETRY})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        require(request.user, data["page"].document.collection, WRITE)
        region = layout_regions.add_region(page=data["page"], user=request.user, polygon=data["polygon"],
                                           kind=data.get("kind", "MainZone"), order=data.get("order"))
        return Response(RegionSerializer(region, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: RegionSerializer, 400: BAD_GEOMETRY})
    def update(self, request, *args, **kwargs):
        return super().update(request, *args, **kwargs)

    @extend_schema(responses={200: RegionSerializer, 400: BAD_GEOMETRY})
    def partial_update(self, request, *args, **kwargs):
        return super().partial_update(request, *args, **kwargs)

    def perform_update(self, serializer) -> None:
        data = serializer.validated_data
        serializer.instance = layout_regions.edit_region(serializer.instance, user=self.request.user,
                                                         polygon=data.get("polygon"), kind=data.get("kind"),
                                                         order=data.get("order"))

    def perform_destroy(self, instance: Region) -> None:
        layout_regions.delete_region(instance, user=self.request.user)


class RevisionFilter(django_filters.FilterSet):
    page = IdFilter(field_name="page_id")
    line = IdFilter(field_name="line_id")
    region = IdFilter(field_name="region_id")
    action = django_filters.CharFilter(field_name="action")

    class Meta:
        model = GeometryRevision
        fields = ["page", "line", "region", "action"]


class GeometryRevisionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The layout history: every state of every line and region, deleted ones included. Read-only, append-only."""

    serializer_class = GeometryRevisionSerializer
    filterset_class = RevisionFilter
    pagination_class = ScanPageSafePagination

    def get_queryset(self):
        return (GeometryRevision.objects.select_related("created_by")
                .filter(page__document__collection__in=readable_collection_ids(self.request.user))
                .order_by("page_id", "created_at", "id"))
