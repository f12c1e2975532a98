"""Collections, their members (owner only) and ingest into them."""
from __future__ import annotations

import json

from django.conf import settings
from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.fields import CharField
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.response import Response

from archive.api.pagination import HoldingsPagination
from archive.api.serializers import (
    CollectionSerializer,
    CollectionUpdateSerializer,
    DefaultModelSerializer,
    IngestMetadataSerializer,
    IngestRequestSerializer,
    IngestResponseSerializer,
    JobAcceptedSerializer,
    MembershipRoleSerializer,
    MembershipSerializer,
    job_accepted,
)
from archive.api.views.base import CollectionScopedViewSet
from archive.ingest import Upload
from archive.models import Collection, Document, Membership
from archive.permissions import MANAGE, WRITE, readable_collection_ids, require
from archive.services import collections as collection_services
from archive.services.ingest_jobs import ingest_or_queue
from palimpsest import textguard
from palimpsest.errors import InputError


@extend_schema_view(
    partial_update=extend_schema(description="Owner only."),
    update=extend_schema(description="Owner only."),
)
class CollectionViewSet(CollectionScopedViewSet):
    """Collections the requester can read. Anyone signed in may create one and becomes its owner."""

    lookup_field = "slug"
    collection_path = "pk"
    http_method_names = ["get", "post", "put", "patch", "head", "options"]  # no delete through the API
    search_fields = ["title", "description"]
    ordering_fields = ["title", "created_at", "slug"]
    filterset_fields = ["visibility"]

    @property
    def write_action(self) -> str:
        return WRITE if self.action in ("ingest", "default_model") else MANAGE

    def base_queryset(self):
        user = self.request.user
        my_role = (
            Subquery(Membership.objects.filter(collection=OuterRef("pk"), user=user).values("role")[:1])
            if user.is_authenticated
            else Value(None, output_field=CharField())
        )
        return Collection.objects.select_related("owner").annotate(document_count=Count("documents"), my_role=my_role).order_by(
            "title", "id"
        )

    def collection_of(self, obj: Collection) -> Collection:
        return obj

    def get_serializer_class(self):
        return CollectionUpdateSerializer if self.action in ("update", "partial_update") else CollectionSerializer

    def perform_create(self, serializer) -> None:
        data = serializer.validated_data
        serializer.instance = collection_services.create_collection(owner=self.request.user, **data)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        instance = self.base_queryset().get(pk=serializer.instance.pk)
        return Response(self.get_serializer(instance).data, status=status.HTTP_201_CREATED)

    def initial(self, request, *args, **kwargs):
        # Refuse an oversized upload from its declared length, before anything parses the body.
        if self.action == "ingest":
            length = int(request.META.get("CONTENT_LENGTH") or 0)
            if length > settings.MAX_UPLOAD_BYTES:
                raise InputError(
                    f"The upload is {length} bytes, over the limit of {settings.MAX_UPLOAD_BYTES} (MAX_UPLOAD_BYTES).",
                    code="too_large",
                    status_code=413,
                )
        super().initial(request, *args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": IngestRequestSerializer},
        responses={
            201: IngestResponseSerializer,
            202: OpenApiResponse(JobAcceptedSerializer, description="A heavy upload (over INGEST_SYNC_MAX_PAGES pages "
                                 "or frames, INGEST_SYNC_MAX_BYTES or INGEST_SYNC_MAX_PIXELS) was stored and is "
                                 "ingested by a background job; poll its url"),
            207: OpenApiResponse(IngestResponseSerializer, description="Some files were ingested, some failed"),
            400: OpenApiResponse(description="No file was ingested; per-file results in error.detail.results"),
            413: OpenApiResponse(description="Upload over MAX_UPLOAD_BYTES, or a bomb"),
            415: OpenApiResponse(description="Unsupported or spoofed file type"),
        },
        description="Ingest images (PNG, JPEG, TIFF), PDFs, plain text and zip archives. Each file is atomic; "
        "a heavy upload is ingested by a background job (202); see docs/ingest.md.",
    )
    @extend_schema(request=DefaultModelSerializer, responses={200: CollectionSerializer},
                   description="Owner or curator: choose the recognizer this collection's transcribe jobs use "
                               "when none is named (for example a model fine-tuned on its ground truth).")
    @action(detail=True, methods=["post"], url_path="default-model")
    def default_model(self, request, slug=None):
        from jobs.models import ModelTask, ModelVersion

        collection = self.get_object()
        checked = DefaultModelSerializer(data=request.data)
        checked.is_valid(raise_exception=True)
        pk = checked.validated_data["model"]
        model = None
        if pk is not None:
            model = ModelVersion.objects.filter(pk=pk, task=ModelTask.HTR).first()
            if model is None:
                raise InputError(f"No handwriting recognition model {pk}.", code="bad_model")
        collection = collection_services.set_default_model(collection, model, request.user)
        return Response(CollectionSerializer(self.get_queryset().get(pk=collection.pk),
                                             context=self.get_serializer_context()).data)

    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def ingest(self, request, slug=None):
        collection = self.get_object()
        files = request.FILES.getlist("files") + request.FILES.getlist("files[]")
        if not files:
            raise InputError("Send one or more files in the multipart field 'files'.", code="no_files")
        metadata = request.data.get("metadata") or {}
        if isinstance(metadata, str):
            try:
                metadata = textguard.loads(metadata, "metadata")
            except json.JSONDecodeError as exc:
                raise InputError(f"metadata is not valid JSON: {exc}", code="invalid_metadata") from exc
        if not isinstance(metadata, dict):
            raise InputError("metadata must be a JSON object of document fields.", code="invalid_metadata")
        checked = IngestMetadataSerializer(data={**metadata, **({"title": request.data["title"]} if "title" in request.data else {})})
        checked.is_valid(raise_exception=True)
        options = dict(checked.validated_data)
        title = options.pop("title", None)
        into = None
        raw = request.data.get("document")
        if raw not in (None, ""):
            if not str(raw).isdigit():
                raise InputError("'document' must be a document id.", code="bad_document")
            into = Document.objects.filter(pk=int(raw), collection=collection).first()
            if into is None:
                raise NotFound("No such document in this collection.")
        outcome = ingest_or_queue(
            collection, [Upload.from_django_file(f) for f in files], user=request.user, title=title, metadata=options,
            document=into,
        )
        if isinstance(outcome, list):
            return ingest_response(outcome)
        body = job_accepted(request, outcome, files=[f.name for f in files])
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


def ingest_response(results) -> Response:
    """201 when every file was ingested, 207 when some were, 4xx (error shape) when none was."""
    body = {"results": [r.as_dict() for r in results]}
    failed = [r for r in results if not r.ok]
    if not failed:
        return Response(body, status=status.HTTP_201_CREATED)
    if len(failed) < len(results):
        return Response(body, status=status.HTTP_207_MULTI_STATUS)
    statuses = {r.http_status for r in failed}
    codes = {r.error["code"] for r in failed}
    first = failed[0].error
    message = first["message"] if len(failed) == 1 else f"None of the {len(failed)} files was ingested."
    error = {"code": codes.pop() if len(codes) == 1 else "ingest_failed", "message": message, "detail": body}
    return Response({"error": error}, status=statuses.pop() if len(statuses) == 1 else status.HTTP_400_BAD_REQUEST)


class MembershipViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, mixins.RetrieveModelMixin,
                        mixins.UpdateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Members of a collection and their roles. Only the collection's owners may see or change them."""

    permission_classes = [IsAuthenticatedOrReadOnly]
    pagination_class = HoldingsPagination
    lookup_field = "user__username"
    lookup_url_kwarg = "username"
    lookup_value_regex = r"[^/]+"
    http_method_names = ["get", "post", "patch", "put", "delete", "head", "options"]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.collection = get_object_or_404(
            Collection.objects.filter(pk__in=readable_collection_ids(request.user)), slug=kwargs["collection_slug"]
        )
        require(request.user, self.collection, MANAGE)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Membership.objects.none()
        return Membership.objects.filter(collection=self.collection).select_related("user").order_by("user__username")

    def get_serializer_class(self):
        return MembershipRoleSerializer if self.action in ("update", "partial_update") else MembershipSerializer

    def perform_create(self, serializer) -> None:
        data = serializer.validated_data
        serializer.instance = collection_services.add_member(self.collection, data["user"], data["role"])

    def perform_update(self, serializer) -> None:
        serializer.instance = collection_services.change_role(
            serializer.instance, serializer.validated_data.get("role", serializer.instance.role)
        )

    def update(self, request, *args, **kwargs):
        super().update(request, *args, **kwargs)
        return Response(MembershipSerializer(self.get_object()).data)

    def perform_destroy(self, instance: Membership) -> None:
        collection_services.remove_member(instance)
