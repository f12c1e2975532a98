"""Pages (scans): metadata, the image itself, and cached thumbnails, with ETags from the content hash."""
from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponse, HttpResponseNotModified
from django.utils.http import parse_etags
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer

from archive.api.counts import related_count
from archive.api.filters import PageFilter
from archive.api.serializers import PageSerializer
from archive.api.views.base import CollectionScopedViewSet, ImageRenderer, JsonErrorsForImagesMixin
from archive.models import Line, Page
from archive.services import thumbnails
from archive.services.documents import delete_guarded

IMAGE_RESPONSES = {
    (200, "image/*"): OpenApiResponse(OpenApiTypes.BINARY, description="The image bytes; ETag is the sha256"),
    304: OpenApiResponse(description="Not modified (If-None-Match matched the ETag)"),
    404: OpenApiResponse(description="No such page, or not readable by you"),
}


def _not_modified(request, etag: str) -> bool:
    header = request.META.get("HTTP_IF_NONE_MATCH")
    if not header:
        return False
    tags = parse_etags(header)
    return "*" in tags or etag in tags


def _file_response(request, name: str, content_type: str, etag: str, filename: str) -> HttpResponse:
    if _not_modified(request, etag):
        response = HttpResponseNotModified()
    else:
        try:
            handle = default_storage.open(name, "rb")
        except FileNotFoundError:
            raise NotFound("The image file of this page is missing from the store.") from None
        response = FileResponse(handle, content_type=content_type, as_attachment=False, filename=filename)
    response["ETag"] = etag
    # Access depends on the collection's permissions, so shared caches must not keep it; browsers revalidate.
    response["Cache-Control"] = "private, no-cache"
    return response


class PageViewSet(JsonErrorsForImagesMixin, CollectionScopedViewSet):
    """Pages are created by ingest; curators may relabel or remove them."""

    collection_path = "document__collection"
    filterset_class = PageFilter
    serializer_class = PageSerializer
    ordering_fields = ["id", "order", "created_at"]
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def base_queryset(self):
        return (
            Page.objects.select_related("image", "document__collection")
            .annotate(line_count=related_count(Line, "page"))
            .order_by("document_id", "order", "id")
        )

    def perform_destroy(self, instance: Page) -> None:
        delete_guarded(instance)

    @extend_schema(responses=IMAGE_RESPONSES)
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, ImageRenderer])
    def image(self, request, pk=None):
        page = self.get_object()
        blob = page.image
        filename = (page.original_filename or f"page-{page.pk}").rsplit("/", 1)[-1]
        return _file_response(request, blob.file.name, blob.mime_type, f'"{blob.sha256}"', filename)

    @extend_schema(
        parameters=[OpenApiParameter("size", int, enum=list(thumbnails.SIZES), description="Longest side in pixels (default 256)")],
        responses=IMAGE_RESPONSES,
    )
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, ImageRenderer])
    def thumbnail(self, request, pk=None):
        page = self.get_object()
        size = thumbnails.parse_size(request.query_params.get("size"))
        etag = f'"{page.image_id}-{size}"'
        if _not_modified(request, etag):
            return _file_response(request, "", "image/jpeg", etag, "")
        name = thumbnails.thumbnail(page.image, size)
        return _file_response(request, name, "image/jpeg", etag, f"page-{page.pk}-{size}.jpg")
