"""REST API for reflections (curators' essays in Markdown, with citations and history).

- ``/api/v1/reflections/`` list (``?cites=annotation:12``, ``?collection=``, ``?creator=``) and create;
- ``/api/v1/reflections/{id}/`` read (Markdown + sanitised HTML + citations), PATCH (new version), DELETE (withdrawal);
- ``/api/v1/reflections/{id}/versions/`` history; ``/api/v1/reflections/preview/`` render Markdown for a live preview.
"""
from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from archive.api.access import CollectionAccess
from archive.models import Collection
from archive.permissions import can, readable_collection_ids
from inscription.api.annotations import base_url
from inscription.models import Reflection, ReflectionVersion
from inscription.services import reflections as service
from inscription.services.references import REF
from palimpsest.errors import InputError


class ReflectionSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    html = serializers.SerializerMethodField(help_text="Sanitised HTML, rendered for the reader")
    citations = serializers.SerializerMethodField()

    class Meta:
        model = Reflection
        fields = ["id", "collection", "title", "body", "html", "citations", "version", "withdrawn", "created_by",
                  "created_at", "modified_at"]
        read_only_fields = fields

    def _rendered(self, obj: Reflection) -> dict:
        cache = self.context.setdefault("_rendered", {})
        if obj.pk not in cache:
            request = self.context["request"]
            cache[obj.pk] = service.render_for(request.user, obj.body, base_url(request))
        return cache[obj.pk]

    def get_html(self, obj: Reflection) -> str:
        return self._rendered(obj)["html"]

    def get_citations(self, obj: Reflection) -> list[dict]:
        return self._rendered(obj)["citations"]


class ReflectionVersionSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    citations = serializers.SerializerMethodField()

    class Meta:
        model = ReflectionVersion
        fields = ["version", "action", "title", "body", "is_current", "created_by", "created_at", "citations"]
        read_only_fields = fields

    def get_citations(self, obj: ReflectionVersion) -> list[str]:
        return [c.ref for c in obj.citations.all()]


class ReflectionInputSerializer(serializers.Serializer):
    collection = serializers.IntegerField(required=False, help_text="Required on create")
    title = serializers.CharField(required=False)
    body = serializers.CharField(required=False, allow_blank=True, help_text="Markdown; cite with [@annotation:12] etc.")


class PreviewSerializer(serializers.Serializer):
    body = serializers.CharField(allow_blank=True)


class ReflectionFilter(django_filters.FilterSet):
    creator = django_filters.CharFilter(field_name="created_by__username")
    cites = django_filters.CharFilter(method="filter_cites", help_text='A stable reference, e.g. "annotation:12"')
    withdrawn = django_filters.BooleanFilter()

    class Meta:
        model = Reflection
        fields = ["collection", "creator", "cites", "withdrawn"]

    def filter_cites(self, queryset, name, value):
        if not REF.match(value or ""):
            raise InputError("cites is a reference like 'annotation:12'.", code="bad_filter")
        return queryset.filter(citations__ref=value, citations__version__is_current=True)

    def filter_queryset(self, queryset):
        if self.form.cleaned_data.get("withdrawn") is None:
            queryset = queryset.filter(withdrawn=False)
        return super().filter_queryset(queryset).distinct()


@extend_schema_view(
    list=extend_schema(summary="Reflections you can read; ?cites=annotation:12 lists those citing an item"),
    retrieve=extend_schema(summary="A reflection with its sanitised HTML and citations"),
    create=extend_schema(summary="Write a reflection (curator)", request=ReflectionInputSerializer, responses={201: ReflectionSerializer}),
    partial_update=extend_schema(summary="Edit: adds a version", request=ReflectionInputSerializer, responses=ReflectionSerializer),
    destroy=extend_schema(summary="Withdraw (a recorded act)", responses={204: None}),
)
class ReflectionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ReflectionSerializer
    permission_classes = [CollectionAccess]
    filterset_class = ReflectionFilter
    ordering_fields = ["modified_at", "created_at", "title"]
    search_fields = ["title", "body"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return Reflection.objects.filter(collection__in=readable_collection_ids(self.request.user)).select_related("created_by")

    def collection_of(self, obj: Reflection):
        return obj.collection

    def _data(self, reflection: Reflection) -> dict:
        return self.get_serializer(self.get_queryset().get(pk=reflection.pk)).data

    def create(self, request, *args, **kwargs):
        body = request.data if isinstance(request.data, dict) else {}
        pk = body.get("collection")
        collection = Collection.objects.filter(pk=pk).first() if isinstance(pk, int) else None
        if collection is None or not can(request.user, collection, "read"):
            raise InputError("collection: give the id of a collection you can read.", code="bad_collection")
        reflection = service.create_reflection(request.user, collection, body.get("title"), body.get("body", ""))
        return Response(self._data(reflection), status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        body = request.data if isinstance(request.data, dict) else {}
        if set(body) - {"title", "body"}:
            raise InputError("Only title and body can be edited.", code="bad_edit")
        reflection = service.edit_reflection(self.get_object(), request.user, body.get("title"), body.get("body"))
        return Response(self._data(reflection))

    def destroy(self, request, *args, **kwargs):
        service.withdraw_reflection(self.get_object(), request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(summary="All versions, oldest first", responses=ReflectionVersionSerializer(many=True))
    @action(detail=True, methods=["get"])
    def versions(self, request, pk=None):
        rows = self.get_object().versions.select_related("created_by").prefetch_related("citations").order_by("version")
        return Response(ReflectionVersionSerializer(rows, many=True).data)

    @extend_schema(summary="Render Markdown as the reader would see it (live preview); unreadable citations are marked",
                   request=PreviewSerializer, responses={200: inline_serializer("ReflectionPreview", {
                       "html": serializers.CharField(),
                       "citations": serializers.ListField(child=serializers.DictField()),
                   })})
    @action(detail=False, methods=["post"], permission_classes=[IsAuthenticated])
    def preview(self, request):
        body = request.data.get("body") if isinstance(request.data, dict) else None
        if not isinstance(body, str) or len(body) > service.MAX_BODY:
            raise InputError(f"body is Markdown text of at most {service.MAX_BODY} characters.", code="bad_body")
        return Response(service.render_for(request.user, body, base_url(request)))
