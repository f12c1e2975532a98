"""Imports (ALTO/PAGE XML with images, IIIF manifests) and the collection archive export job.

Curator rights (WRITE) to import; READ to export and download. The work is in
``exchange.formats``; these views only parse the request and check permissions.
"""
from __future__ import annotations

import os

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from archive.api.serializers import JobAcceptedSerializer, job_accepted
from archive.models import Collection, Document
from archive.permissions import READ, WRITE, require
from archive.services.export_links import download_path, key_is_valid
from exchange.formats import common
from exchange.formats.xml_import import import_xml, is_xml
from exchange.import_jobs import start_iiif_import
from exchange.services import start_export
from jobs.models import Job, JobKind, JobState
from palimpsest.errors import InputError


def _collection(request, slug: str, action: str) -> Collection:
    collection = get_object_or_404(Collection, slug=slug)
    require(request.user, collection, action)
    return collection


def _read_upload(upload, total: list[int]) -> bytes:
    total[0] += upload.size
    if total[0] > settings.MAX_UPLOAD_BYTES:
        raise InputError(f"The upload is larger than {settings.MAX_UPLOAD_BYTES} bytes.", code="upload_too_large", status_code=413)
    return upload.read()


class ImportXmlView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": {"type": "object", "properties": {
            "files": {"type": "array", "items": {"type": "string", "format": "binary"}, "description": "ALTO/PAGE XML files and page images"},
            "title": {"type": "string"}, "ground_truth": {"type": "boolean"},
            "document": {"type": "integer", "description": "add the reading as a new layer on this document's pages"},
            "match": {"type": "string", "enum": ["auto", "filename", "order", "page_id"]},
            "page": {"type": "array", "items": {"type": "integer"}, "description": "explicit page id per page read, in order"}}}},
        responses={201: OpenApiTypes.OBJECT},
        summary="Import ALTO, PAGE or METS XML with page images as a new document, or as a new layer on a document",
        description="The result lists what was not kept (`not_kept`: what, count, message), how pages were matched "
                    "(`matched_by`), the machine credited (`credited_to`) and the importing person (`imported_by`).",
    )
    def post(self, request, slug: str):
        collection = _collection(request, slug, WRITE)
        total = [0]
        xml_files, images = [], []
        for field in ("files", "xml", "images"):
            for upload in request.FILES.getlist(field):
                data = _read_upload(upload, total)
                (xml_files if is_xml(upload.name, data) else images).append((upload.name, data))
        ground_truth = str(request.data.get("ground_truth", "")).lower() in ("1", "true", "yes", "on")
        document = None
        raw_doc = str(request.data.get("document", "") or "")
        if raw_doc:
            document = Document.objects.filter(pk=int(raw_doc), collection=collection).first() if raw_doc.isdigit() else None
            if document is None:
                raise InputError(f"No document {raw_doc} in this collection.", code="bad_document")
        raw_pages = request.data.getlist("page") if hasattr(request.data, "getlist") else []
        if any(not str(p).isdigit() for p in raw_pages):
            raise InputError("page ids must be integers.", code="page_mismatch")
        result = import_xml(collection, request.user, xml_files, images, title=str(request.data.get("title", "")),
                            ground_truth=ground_truth, document=document, match=str(request.data.get("match", "auto") or "auto"),
                            page_ids=[int(p) for p in raw_pages])
        return Response(result.as_dict(), status=status.HTTP_201_CREATED)


class ImportIIIFView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        request={"application/json": {"type": "object", "properties": {"url": {"type": "string", "format": "uri"}}},
                 "multipart/form-data": {"type": "object", "properties": {"manifest": {"type": "string", "format": "binary"}}}},
        responses={202: JobAcceptedSerializer},
        summary="Import a IIIF Presentation 3 or 2.1 manifest (images + transcriptions) as a background job",
        description="Answers 202 with the import job: it fetches every image (progress: image n of N) and writes the "
                    "document in one transaction. Its result names the document, pages, lines and what was not kept; "
                    "a refused URL or a bad image ends it failed, with result.error (code, message) and nothing stored.",
    )
    def post(self, request, slug: str):
        collection = _collection(request, slug, WRITE)
        upload = request.FILES.get("manifest")
        if upload is not None:
            job = start_iiif_import(collection, request.user, manifest=_read_upload(upload, [0]), filename=upload.name or "")
        else:
            url = request.data.get("url") if hasattr(request.data, "get") else None
            if not isinstance(url, str) or not url:
                raise InputError("Send {\"url\": \"https://...\"} or upload the manifest as 'manifest'.", code="no_manifest")
            job = start_iiif_import(collection, request.user, url=url)
        body = job_accepted(request, job)
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


class ExportCollectionView(APIView):
    @extend_schema(request=None, responses={202: OpenApiTypes.OBJECT},
                   summary="Export the whole collection as a zip (a background job)")
    def post(self, request, slug: str):
        collection = _collection(request, slug, READ)
        if not request.user.is_authenticated:
            raise InputError("Sign in to request an export.", code="not_authenticated", status_code=401)
        job = start_export(collection, request.user, common.base_url(request))
        body = {"job": job.pk, "state": job.state, "kind": job.kind,
                "url": request.build_absolute_uri(f"/api/v1/jobs/{job.pk}/"),
                "download": request.build_absolute_uri(download_path(job))}
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


class ExportDownloadView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("key", str, required=True, description="The signed key of the link the export job gave")],
        responses={(200, "application/zip"): OpenApiTypes.BINARY},
        summary="Download a finished collection export (the link expires after EXPORT_LINK_SECONDS)")
    def get(self, request, slug: str, job_id: int):
        collection = _collection(request, slug, READ)
        job = get_object_or_404(Job, pk=job_id, collection=collection, kind=JobKind.EXPORT)
        if not key_is_valid(job, request.query_params.get("key")):
            # One answer for a missing, wrong or expired key: the job's URL gives a fresh link.
            raise NotFound("No such export link, or it has expired; the job's page gives a fresh one.")
        if job.state != JobState.SUCCEEDED or not job.result.get("file"):
            raise InputError(f"The export is {job.state}; download it once it has succeeded.", code="export_not_ready",
                             status_code=409)
        name = job.result["file"]
        return FileResponse(default_storage.open(name, "rb"), as_attachment=True, filename=os.path.basename(name),
                            content_type=job.result.get("content_type") or "application/zip")
