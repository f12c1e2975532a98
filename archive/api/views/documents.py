"""Documents (Dublin Core metadata, tags) and the source texts of born-digital documents."""
from __future__ import annotations

from rest_framework import status
from rest_framework.response import Response

from archive.api.counts import related_count
from archive.api.filters import DocumentFilter, TextFilter
from archive.api.serializers import DocumentSerializer, DocumentUpdateSerializer, TextSerializer, TextUpdateSerializer
from archive.api.views.base import CollectionScopedViewSet
from archive.models import Document, Page, Text
from archive.permissions import WRITE, require
from archive.services import documents as document_services
from palimpsest.brief import collection_details, user_details
from palimpsest.errors import InputError


class DocumentViewSet(CollectionScopedViewSet):
    """Documents in readable collections. Filter by collection, kind, language, tag and year range; search title/creator."""

    filterset_class = DocumentFilter
    search_fields = ["title", "creator"]
    ordering_fields = ["id", "title", "creator", "year_from", "year_to", "created_at", "updated_at"]

    def base_queryset(self):
        return (
            Document.objects.select_related("collection", "created_by")
            .prefetch_related("tags")
            .annotate(page_count=related_count(Page, "document"))
            .order_by("title", "id")
        )

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "list":  # a row shows the collection's slug and the creator's name (palimpsest.brief)
            queryset = queryset.defer(*collection_details("collection"), *user_details("created_by"))
        return queryset

    def get_serializer_class(self):
        return DocumentUpdateSerializer if self.action in ("update", "partial_update") else DocumentSerializer

    def perform_create(self, serializer) -> None:
        data = dict(serializer.validated_data)
        require(self.request.user, data["collection"], WRITE)
        serializer.instance = document_services.create_document(user=self.request.user, **data)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        fresh = self.base_queryset().get(pk=serializer.instance.pk)
        return Response(self.get_serializer(fresh).data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer) -> None:
        serializer.instance = document_services.update_document(serializer.instance, **serializer.validated_data)

    def update(self, request, *args, **kwargs):
        super().update(request, *args, **kwargs)
        return Response(DocumentSerializer(self.base_queryset().get(pk=kwargs["pk"]), context=self.get_serializer_context()).data)

    def perform_destroy(self, instance: Document) -> None:
        document_services.delete_guarded(instance)


class TextViewSet(CollectionScopedViewSet):
    """Source texts of born-digital documents. Curators may create, correct or remove them."""

    collection_path = "document__collection"
    filterset_class = TextFilter
    search_fields = ["content"]
    ordering_fields = ["id", "created_at"]

    def base_queryset(self):
        return Text.objects.select_related("document__collection").order_by("document_id")

    def get_serializer_class(self):
        return TextUpdateSerializer if self.action in ("update", "partial_update") else TextSerializer

    def perform_create(self, serializer) -> None:
        document = serializer.validated_data["document"]
        require(self.request.user, document.collection, WRITE)
        if Text.objects.filter(document=document).exists():
            raise InputError("This document already has a text; PATCH it instead.", code="already_exists", status_code=409)
        serializer.instance = document_services.set_text(document, serializer.validated_data["content"])

    def perform_update(self, serializer) -> None:
        text = serializer.instance
        content = serializer.validated_data.get("content", text.content)
        serializer.instance = document_services.set_text(text.document, content)
