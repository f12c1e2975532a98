"""REST API for annotations: plain JSON for the UI, W3C JSON-LD on request, import of JSON-LD.

- ``/api/v1/annotations/`` list (filters) and create (platform JSON, see ``annotations.selectors``);
- ``/api/v1/annotations/{id}/`` read; ``Accept: application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"``
  (or ``?format=jsonld``) gives the W3C Annotation; PATCH adds a version; DELETE records a withdrawal;
- ``/api/v1/annotations/{id}/versions/`` the full history;
- ``/api/v1/annotations/import/`` W3C JSON-LD in (an Annotation, AnnotationPage or AnnotationCollection);
- ``/api/v1/annotation-collections/{document_id}/`` AnnotationCollection, ``?page=N`` its AnnotationPages.
"""
from __future__ import annotations

import django_filters
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from archive.api.access import CollectionAccess
from archive.models import Document
from archive.permissions import READ, readable_collection_ids, require
from inscription.annotations.jsonld import MEDIA_TYPE, annotation_to_jsonld, collection_to_jsonld, page_to_jsonld
from inscription.models import Annotation, AnnotationVersion, Motivation
from inscription.services import annotation_import as importer
from inscription.services import annotations as service
from palimpsest.ids import IdFilter, as_id

COLLECTION_PAGE_SIZE = 100


class JsonLdRenderer(JSONRenderer):
    """W3C Web Annotation JSON-LD.

    Negotiated as ``application/ld+json`` (with or without the profile parameter, or
    ``?format=jsonld``); responses carry ``application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"``.
    (A renderer whose media type has parameters only matches requests that repeat them,
    so the profile is set on the response instead.)
    """

    media_type = "application/ld+json"
    format = "jsonld"


class JsonLdParser(JSONParser):
    media_type = "application/ld+json"


def base_url(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


class AnnotationSerializer(serializers.ModelSerializer):
    tags = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    inscriptions = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    jsonld_url = serializers.SerializerMethodField()
    external_targets = serializers.SerializerMethodField()

    class Meta:
        model = Annotation
        fields = ["id", "collection", "document", "page", "line", "inscriptions", "motivation", "body", "target",
                  "external_targets", "tags", "version", "orphaned", "withdrawn", "created_by", "created_at", "modified_at",
                  "extra", "jsonld_url"]
        read_only_fields = fields

    def get_external_targets(self, obj: Annotation) -> list[str]:
        """IRIs of the targets outside this archive (kept as given, not resolved)."""
        return [t["source"] for t in obj.target or [] if t.get("external")]

    def get_jsonld_url(self, obj: Annotation) -> str:
        request = self.context.get("request")
        path = f"/api/v1/annotations/{obj.pk}/?format=jsonld"
        return request.build_absolute_uri(path) if request else path


class AnnotationVersionSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = AnnotationVersion
        fields = ["version", "action", "motivation", "body", "target", "orphaned", "withdrawn", "created_by", "created_at", "note"]
        read_only_fields = fields


class AnnotationInputSerializer(serializers.Serializer):
    """Documentation only: the service validates (see inscription/annotations/selectors.py for the full shape)."""

    motivation = serializers.ChoiceField(choices=Motivation.choices, required=False, default=Motivation.COMMENTING)
    body = serializers.ListField(child=serializers.DictField(), required=False,
                                 help_text='TextualBody {"type","value","format","language","purpose"} or Link {"type":"Link","source"}')
    target = serializers.ListField(child=serializers.DictField(), help_text='{"source": "inscription:45", "selector": [...]}')


class AnnotationFilter(django_filters.FilterSet):
    tag = django_filters.CharFilter(field_name="tags__name")
    creator = django_filters.CharFilter(field_name="created_by__username")
    inscription = IdFilter(field_name="inscriptions")
    withdrawn = django_filters.BooleanFilter()

    class Meta:
        model = Annotation
        fields = ["motivation", "tag", "creator", "collection", "document", "page", "line", "inscription", "orphaned", "withdrawn"]

    def filter_queryset(self, queryset):
        if self.form.cleaned_data.get("withdrawn") is None:
            queryset = queryset.filter(withdrawn=False)  # withdrawn ones only when asked
        return super().filter_queryset(queryset).distinct()


@extend_schema_view(
    list=extend_schema(summary="Annotations you can read (withdrawn ones only with ?withdrawn=true)"),
    retrieve=extend_schema(
        summary="One annotation; W3C JSON-LD with Accept: application/ld+json; profile=\"http://www.w3.org/ns/anno.jsonld\"",
        parameters=[OpenApiParameter("format", str, enum=["json", "jsonld"], required=False)],
    ),
    create=extend_schema(summary="Annotate (curator)", request=AnnotationInputSerializer, responses={201: AnnotationSerializer}),
    partial_update=extend_schema(summary="Edit: adds a version", request=AnnotationInputSerializer, responses=AnnotationSerializer),
    destroy=extend_schema(summary="Withdraw: a recorded act; the annotation and its history stay",
                          parameters=[OpenApiParameter("reason", str, required=False)], responses={204: None}),
)
class AnnotationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = AnnotationSerializer
    permission_classes = [CollectionAccess]
    filterset_class = AnnotationFilter
    ordering_fields = ["created_at", "modified_at", "id"]
    ordering = ["id"]
    search_index = "annotation"  # ?search= matches the bodies (the search app's index)
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return (Annotation.objects.filter(collection__in=readable_collection_ids(self.request.user))
                .select_related("created_by").prefetch_related("tags", "inscriptions"))

    def get_renderers(self):
        if getattr(self, "action", None) == "retrieve":
            return [JSONRenderer(), JsonLdRenderer()]
        return [JSONRenderer()]

    def get_parsers(self):
        return [JSONParser(), JsonLdParser()]

    def collection_of(self, obj: Annotation):
        return obj.collection

    def _fresh(self, annotation: Annotation) -> Response:
        return self.get_serializer(self.get_queryset().get(pk=annotation.pk)).data

    def retrieve(self, request, *args, **kwargs):
        annotation = self.get_object()
        if request.accepted_renderer.format == "jsonld":
            return Response(annotation_to_jsonld(annotation, base_url(request)), content_type=MEDIA_TYPE)
        return Response(self.get_serializer(annotation).data)

    def create(self, request, *args, **kwargs):
        annotation = service.create_annotation(request.user, request.data)
        return Response(self._fresh(annotation), status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        annotation = service.edit_annotation(self.get_object(), request.user, request.data)
        return Response(self._fresh(annotation))

    def destroy(self, request, *args, **kwargs):
        reason = request.query_params.get("reason") or (request.data.get("reason", "") if isinstance(request.data, dict) else "")
        service.withdraw_annotation(self.get_object(), request.user, reason)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(summary="All versions of an annotation, oldest first", responses=AnnotationVersionSerializer(many=True))
    @action(detail=True, methods=["get"])
    def versions(self, request, pk=None):
        annotation = self.get_object()
        rows = annotation.versions.select_related("created_by").order_by("version")
        return Response(AnnotationVersionSerializer(rows, many=True).data)

    @extend_schema(
        summary="Import W3C Web Annotation JSON-LD (Annotation, AnnotationPage or AnnotationCollection with embedded pages)",
        request=OpenApiTypes.OBJECT,
        parameters=[OpenApiParameter("document", int, required=False,
                                     description="Keep annotations whose every target is outside the archive on this document")],
        responses={201: OpenApiResponse(description='{"created": [annotation, ...], "not_kept": [{"what", "count", "message"}]}'),
                   400: OpenApiResponse(description="invalid JSON-LD, or nothing could be kept (nothing stored)")},
    )
    @action(detail=False, methods=["post"], url_path="import", permission_classes=[IsAuthenticated])
    def import_jsonld(self, request):
        document = None
        if request.query_params.get("document"):
            document = Document.objects.select_related("collection").filter(pk=as_id(request.query_params["document"]) or 0).first()
            if document is None:
                raise Http404
            require(request.user, document.collection, READ)
        result = importer.import_jsonld(request.user, request.data, base_url(request), document=document)
        data = AnnotationSerializer(self.get_queryset().filter(pk__in=[a.pk for a in result.created]).order_by("id"), many=True,
                                    context=self.get_serializer_context()).data
        return Response({"created": data, "not_kept": result.not_kept()}, status=status.HTTP_201_CREATED)


@extend_schema_view(retrieve=extend_schema(
    summary="The annotations on a document as a W3C AnnotationCollection; ?page=N gives AnnotationPage N (1-based)",
    parameters=[OpenApiParameter("page", int, required=False)],
    responses=OpenApiTypes.OBJECT,
))
class AnnotationCollectionViewSet(viewsets.GenericViewSet):
    """W3C AnnotationCollection / AnnotationPage per document (live, not withdrawn annotations)."""

    queryset = Document.objects.none()
    pagination_class = None
    filter_backends = []

    def get_renderers(self):
        return [JsonLdRenderer(), JSONRenderer()]

    def retrieve(self, request, pk=None):
        document = Document.objects.select_related("collection").filter(pk=as_id(pk) or 0).first()
        if document is None:
            raise Http404
        require(request.user, document.collection, READ)
        annotations = Annotation.objects.filter(document=document, withdrawn=False).select_related("created_by").order_by("id")
        total = annotations.count()
        collection_iri = request.build_absolute_uri(f"/api/v1/annotation-collections/{document.pk}/")
        label = f"Annotations on {document.title}"
        raw_page = request.query_params.get("page")
        if raw_page is None:
            return self._respond(request, collection_to_jsonld(collection_iri, label, total, COLLECTION_PAGE_SIZE))
        last = max(1, -(-total // COLLECTION_PAGE_SIZE))
        if not raw_page.isdigit() or not 1 <= int(raw_page) <= last:
            raise Http404
        page = int(raw_page)
        rows = annotations[(page - 1) * COLLECTION_PAGE_SIZE:page * COLLECTION_PAGE_SIZE]
        base = base_url(request)
        items = [annotation_to_jsonld(a, base, with_context=False) for a in rows]
        return self._respond(request, page_to_jsonld(collection_iri, label, total, page, COLLECTION_PAGE_SIZE, items))

    def _respond(self, request, data: dict) -> Response:
        jsonld = request.accepted_renderer.format == "jsonld"
        return Response(data, content_type=MEDIA_TYPE if jsonld else None)
