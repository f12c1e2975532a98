"""Inscriptions and layers over REST: read current versions or whole histories, add versions, never delete."""
from __future__ import annotations

import django_filters
from django.db.models import Count, Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from archive.api.access import CollectionAccess
from archive.models import Document, Line, Page
from archive.permissions import READ, WRITE, readable_collection_ids, require
from inscription.api.serializers import (
    InscriptionCreateSerializer,
    InscriptionSerializer,
    LayerSerializer,
    WithdrawSerializer,
)
from inscription.models import Inscription, Layer, LayerKind
from inscription.services import inscriptions as services
from inscription.services.layers import get_or_create_layer
from jobs.models import ModelVersion
from palimpsest.brief import user_details
from palimpsest.errors import InputError
from palimpsest.ids import IdFilter, as_id
from palimpsest.pagination import ScanPageSafePagination


class InscriptionFilter(django_filters.FilterSet):
    line = IdFilter()
    page = IdFilter()
    document = IdFilter()
    layer = IdFilter()
    kind = django_filters.CharFilter()
    target_key = django_filters.CharFilter()

    class Meta:
        model = Inscription
        fields = ["line", "page", "document", "layer", "kind", "target_key", "job", "model_version"]


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in {"1", "true", "yes"}


class InscriptionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Inscriptions per target. Only current versions unless ``?history=1``; nothing is ever deleted."""

    serializer_class = InscriptionSerializer
    permission_classes = [CollectionAccess]
    pagination_class = ScanPageSafePagination  # ?page= is the scan-page filter; the page number is ?p=
    filterset_class = InscriptionFilter
    search_index = "inscription"  # ?search= matches the text of any version (the search app's index)
    ordering_fields = ["id", "version", "created_at", "target_key"]
    ordering = ["layer_id", "target_key", "version"]

    def collection_of(self, obj: Inscription):
        return obj.document.collection

    def get_queryset(self):
        qs = Inscription.objects.filter(document__collection__in=readable_collection_ids(self.request.user))
        if self.action == "list" and not _truthy(self.request.query_params.get("history")):
            qs = qs.filter(is_current=True)
        # The model's card, metrics and architecture are JSON decoded per row (32 rows of a page decoded its whole
        # card 32 times, most of the list's time in bench/load.py); the brief model and the layer's name need none.
        deferred = ["layer__parameters", *ModelVersion.card_fields("model_version")]
        if self.action == "list":
            # A list shows the document's id only (the collection is for a detail's permission check), and the
            # writer's name only: each row built a Document, a Collection and a whole User (bench/request_cost.py).
            return qs.select_related("layer", "created_by", "model_version").defer(*deferred, *user_details("created_by"))
        return qs.select_related("layer", "created_by", "model_version", "document__collection").defer(*deferred)

    @extend_schema(parameters=[OpenApiParameter("history", OpenApiTypes.BOOL, description="Include superseded versions")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=InscriptionCreateSerializer, responses={201: InscriptionSerializer})
    def create(self, request):
        data = InscriptionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        line = page = document = None
        if v.get("line"):
            line = Line.objects.select_related("page__document__collection").filter(pk=v["line"]).first()
            if line is None:
                raise NotFound("No such line.")
            document = line.page.document
            missing = "No such line."
        elif v.get("page"):
            page = Page.objects.select_related("document__collection").filter(pk=v["page"]).first()
            if page is None:
                raise NotFound("No such page.")
            document = page.document
            missing = "No such page."
        else:
            document = Document.objects.select_related("collection").filter(pk=v["document"]).first()
            if document is None:
                raise NotFound("No such document.")
            missing = "No such document."
        require(request.user, document.collection, WRITE, missing=missing)
        if v.get("layer"):
            layer = Layer.objects.filter(pk=v["layer"], document=document).first()
            if layer is None:
                raise InputError("That layer is not on the target's document.", code="bad_layer")
        else:
            layer = get_or_create_layer(document, v["layer_name"], LayerKind.GROUND_TRUTH, user=request.user)
        inscription = services.create_inscription(
            layer=layer, text=v["text"], line=line, page=page, document=document, user=request.user, kind=v["kind"]
        )
        return Response(InscriptionSerializer(inscription).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        """Every version of this inscription's target in its layer, oldest first."""
        inscription = self.get_object()
        versions = services.history(inscription)
        return Response(InscriptionSerializer(versions, many=True).data)

    @extend_schema(request=None, responses={201: InscriptionSerializer})
    @action(detail=True, methods=["post"])
    def restore(self, request, pk=None):
        """Make this (earlier) version current again, as a new version."""
        inscription = self.get_object()
        restored = services.restore_inscription(inscription, request.user)
        return Response(InscriptionSerializer(restored).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=WithdrawSerializer, responses={201: InscriptionSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """Withdraw the target's current text in this layer, as a recorded act with a reason."""
        inscription = self.get_object()
        body = WithdrawSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        withdrawn = services.withdraw_inscription(inscription, request.user, body.validated_data["reason"])
        return Response(InscriptionSerializer(withdrawn).data, status=status.HTTP_201_CREATED)


class LayerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Layers of a document (``?document=ID``) with their provenance: model version, parameters, jobs."""

    serializer_class = LayerSerializer
    permission_classes = [CollectionAccess]
    filterset_fields = ["document", "kind", "model_version"]

    def collection_of(self, obj: Layer):
        return obj.document.collection

    def get_queryset(self):
        return (
            Layer.objects.filter(document__collection__in=readable_collection_ids(self.request.user))
            .select_related("model_version", "created_by", "document__collection")
            .annotate(
                current_inscriptions=Count("inscriptions", filter=Q(inscriptions__is_current=True)),
                total_inscriptions=Count("inscriptions"),
            )
            .order_by("document_id", "created_at", "id")
        )

    def list(self, request, *args, **kwargs):
        document = request.query_params.get("document")
        if document:
            doc = Document.objects.select_related("collection").filter(pk=as_id(document) or 0).first()
            if doc is None:
                raise NotFound()
            require(request.user, doc.collection, READ)
        return super().list(request, *args, **kwargs)
