"""The memory lens over REST: a machine line reading's trace, and a document's drift timeline."""
from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from archive.models import Document
from archive.permissions import READ, require
from inscription.models import Inscription
from inscription.services import drift as drift_service
from inscription.services import traces as trace_service
from jobs.models import Job
from palimpsest.errors import InputError
from palimpsest.ids import as_id


class InscriptionTraceView(APIView):
    """What the recognizer's LSTM memory did while it read this line (computed once, then stored)."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT}, summary="Reading trace of a machine line inscription")
    def get(self, request: Request, pk: int) -> Response:
        inscription = (
            Inscription.objects.select_related("document__collection", "model_version", "line__page__image").filter(pk=pk).first()
        )
        if inscription is None:
            raise NotFound("No such inscription.")
        require(request.user, inscription.document.collection, READ, missing="No such inscription.")
        trace = trace_service.get_or_compute_trace(inscription)
        return Response(trace_service.trace_json(trace))


def held_out_lines(request: Request, document: Document) -> list[int] | None:
    """Lines to restrict the drift to: ``?job=ID`` (a train job's held-out lines) or ``?lines=1,2,3``."""
    job_id, lines = request.query_params.get("job"), request.query_params.get("lines")
    if job_id:
        if not job_id.isdigit():
            raise InputError("job is a job id.", code="bad_job")
        job = Job.objects.filter(pk=as_id(job_id) or 0, collection_id=document.collection_id).first()
        if job is None:
            raise InputError("No such job in this document's collection.", code="bad_job")
        held = (job.result or {}).get("held_out")
        if not isinstance(held, list):
            raise InputError("That job recorded no held-out lines (only fine-tune jobs do).", code="no_held_out_lines")
        return [int(v) for v in held]
    if lines:
        try:
            return [int(v) for v in lines.split(",") if v.strip()]
        except ValueError as exc:
            raise InputError("lines is a comma-separated list of line ids.", code="bad_lines") from exc
    return None


def _document(request: Request, pk: int) -> Document:
    document = Document.objects.select_related("collection").filter(pk=pk).first()
    if document is None:
        raise NotFound("No such document.")
    require(request.user, document.collection, READ, missing="No such document.")
    return document


DRIFT_PARAMS = [
    OpenApiParameter("job", OpenApiTypes.INT, description="Restrict CER to this fine-tune job's held-out lines"),
    OpenApiParameter("lines", OpenApiTypes.STR, description="Restrict CER to these line ids (comma-separated)"),
]


class DocumentDriftView(APIView):
    """Every machine transcription layer of the document over model versions, with CER and line changes."""

    @extend_schema(parameters=DRIFT_PARAMS, responses={200: OpenApiTypes.OBJECT}, summary="Drift timeline of a document")
    def get(self, request: Request, pk: int) -> Response:
        document = _document(request, pk)
        return Response(drift_service.drift(document, held_out_lines(request, document)))


class DocumentDriftPlotView(APIView):
    """The drift timeline as an SVG figure."""

    @extend_schema(parameters=DRIFT_PARAMS, responses={(200, "image/svg+xml"): OpenApiTypes.STR})
    def get(self, request: Request, pk: int) -> HttpResponse:
        document = _document(request, pk)
        data = drift_service.drift(document, held_out_lines(request, document))
        return HttpResponse(drift_service.plot_svg(data), content_type="image/svg+xml")
