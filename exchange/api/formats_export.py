"""Read-only exports: IIIF manifests and collections, ALTO, PAGE XML and plain text.

Views are thin: find the object, check READ through archive.permissions, call the
format module, return its bytes with the right media type.
"""
from __future__ import annotations

import io
import json
import zipfile

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.views import APIView

from archive.models import Collection, Document, Page
from archive.permissions import READ, readable_collection_ids, require
from exchange.formats import common, iiif_export, mets
from exchange.formats.alto import export_alto
from exchange.formats.pagexml import export_page_xml
from exchange.formats.text import document_text, page_text

LAYER_PARAM = OpenApiParameter("layer", str, description="Layer id or name (default: the best current text per line)")
XML = "application/xml; charset=utf-8"


def _page(request, pk: int) -> Page:
    page = get_object_or_404(Page.objects.select_related("document__collection", "image"), pk=pk)
    require(request.user, page.document.collection, READ)
    return page


def _document(request, pk: int) -> Document:
    document = get_object_or_404(Document.objects.select_related("collection"), pk=pk)
    require(request.user, document.collection, READ)
    return document


def _pages(document: Document) -> list[Page]:
    return list(document.pages.select_related("image", "document").order_by("order", "id"))


def _download(content: bytes | str, content_type: str, filename: str | None = None) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    if filename:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class DocumentManifestView(APIView):
    @extend_schema(parameters=[LAYER_PARAM], responses={(200, "application/ld+json"): OpenApiTypes.OBJECT},
                   summary="IIIF Presentation 3 manifest of a document")
    def get(self, request, pk: int):
        document = _document(request, pk)
        layer = common.resolve_layer(document, request.query_params.get("layer"))
        data = iiif_export.manifest(document, common.base_url(request), layer)
        return _download(json.dumps(data, ensure_ascii=False), iiif_export.MEDIA_TYPE)


class CollectionIIIFView(APIView):
    @extend_schema(responses={(200, "application/ld+json"): OpenApiTypes.OBJECT}, summary="IIIF Presentation 3 collection")
    def get(self, request, slug: str):
        coll = get_object_or_404(Collection.objects.filter(pk__in=readable_collection_ids(request.user)), slug=slug)
        require(request.user, coll, READ)
        documents = coll.documents.order_by("title", "id")
        data = iiif_export.collection(coll, common.base_url(request), documents)
        return _download(json.dumps(data, ensure_ascii=False), iiif_export.MEDIA_TYPE)


class PageAltoView(APIView):
    @extend_schema(parameters=[LAYER_PARAM], responses={(200, "application/xml"): OpenApiTypes.STR}, summary="ALTO 4.4 of a page")
    def get(self, request, pk: int):
        page = _page(request, pk)
        layer = common.resolve_layer(page.document, request.query_params.get("layer"))
        return _download(export_alto([page], layer), XML)


class DocumentAltoView(APIView):
    @extend_schema(parameters=[LAYER_PARAM], responses={(200, "application/xml"): OpenApiTypes.STR},
                   summary="ALTO 4.4 of a whole document (one Page element per page)")
    def get(self, request, pk: int):
        document = _document(request, pk)
        layer = common.resolve_layer(document, request.query_params.get("layer"))
        return _download(export_alto(_pages(document), layer), XML, f"document-{document.pk}.alto.xml")


class PagePageXmlView(APIView):
    @extend_schema(parameters=[LAYER_PARAM], responses={(200, "application/xml"): OpenApiTypes.STR}, summary="PAGE XML 2019 of a page")
    def get(self, request, pk: int):
        page = _page(request, pk)
        layer = common.resolve_layer(page.document, request.query_params.get("layer"))
        index = list(page.document.pages.order_by("order", "id").values_list("pk", flat=True)).index(page.pk) + 1
        return _download(export_page_xml(page, layer, index), XML)


def page_xml_zip(document: Document, layer=None) -> bytes:
    """One PAGE XML file per page (PAGE holds one page per file), zipped in page order, with the document's ALTO and a
    METS file that links each page image (by its original file name) to both, as eScriptorium exports."""
    buffer = io.BytesIO()
    pages = list(_pages(document))
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, page in enumerate(pages, 1):
            zf.writestr(f"page/{n:04d}.xml", export_page_xml(page, layer, n))
        if pages:
            zf.writestr("alto.xml", export_alto(pages, layer))
            zf.writestr("mets.xml", mets.export_mets(document, mets.document_files(pages, lambda p: p.original_filename or p.sha256)))
    return buffer.getvalue()


class DocumentPageXmlView(APIView):
    @extend_schema(parameters=[LAYER_PARAM], responses={(200, "application/zip"): OpenApiTypes.BINARY},
                   summary="PAGE XML of every page of a document, as a zip")
    def get(self, request, pk: int):
        document = _document(request, pk)
        layer = common.resolve_layer(document, request.query_params.get("layer"))
        return _download(page_xml_zip(document, layer), "application/zip", f"document-{document.pk}.page-xml.zip")


class PageTextView(APIView):
    @extend_schema(parameters=[LAYER_PARAM], responses={(200, "text/plain"): OpenApiTypes.STR}, summary="Plain text of a page")
    def get(self, request, pk: int):
        page = _page(request, pk)
        layer = common.resolve_layer(page.document, request.query_params.get("layer"))
        return _download(page_text([page], layer), "text/plain; charset=utf-8")


class DocumentTextView(APIView):
    @extend_schema(parameters=[LAYER_PARAM], responses={(200, "text/plain"): OpenApiTypes.STR},
                   summary="Plain text of a document in reading order")
    def get(self, request, pk: int):
        document = _document(request, pk)
        layer = common.resolve_layer(document, request.query_params.get("layer"))
        return _download(document_text(document, layer), "text/plain; charset=utf-8")
