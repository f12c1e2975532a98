"""Serializers for the holdings. Thin: validation of shape here, rules in archive.services."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from archive.api.fields import CollectionSlugField, DocumentField, PageField, UsernameField
from archive.models import Collection, Document, Line, Membership, Page, Role, Text
from palimpsest.serializer_cache import CachedFieldsMixin

# Document.year_from/year_to are 32-bit integer columns; a larger number is a 400, not a database error.
YEAR_MIN, YEAR_MAX = -(2**31), 2**31 - 1


class TagListField(serializers.ListField):
    """Tags by name: written as a list of strings, read from the prefetched tag rows."""

    child = serializers.CharField(max_length=100)

    def to_representation(self, data) -> list[str]:
        return [tag.name for tag in data.all()] if hasattr(data, "all") else list(data)


class CollectionSerializer(CachedFieldsMixin, serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username", read_only=True)
    my_role = serializers.SerializerMethodField()
    document_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Collection
        fields = ["id", "slug", "title", "description", "creator", "date", "source", "rights", "language",
                  "owner", "visibility", "default_model", "my_role",
                  "document_count", "created_at", "updated_at"]
        read_only_fields = ["default_model"]

    @extend_schema_field(serializers.ChoiceField(choices=Role.choices, allow_null=True))
    def get_my_role(self, obj: Collection) -> str | None:
        user = self.context["request"].user
        if user.is_authenticated and obj.owner_id == user.pk:
            return Role.OWNER
        return getattr(obj, "my_role", None)


class CollectionUpdateSerializer(CollectionSerializer):
    class Meta(CollectionSerializer.Meta):
        read_only_fields = ["slug", "default_model"]


class MembershipSerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", queryset=get_user_model().objects.filter(is_active=True))

    class Meta:
        model = Membership
        fields = ["user", "role", "created_at"]


class MembershipRoleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Membership
        fields = ["role"]


class DocumentSerializer(CachedFieldsMixin, serializers.ModelSerializer):
    collection = CollectionSlugField()
    tags = TagListField(required=False)
    page_count = serializers.IntegerField(read_only=True)
    created_by = UsernameField()

    class Meta:
        model = Document
        fields = ["id", "collection", "kind", "title", "creator", "date", "year_from", "year_to", "place", "language",
                  "rights", "source", "description", "tags", "page_count", "created_by", "created_at", "updated_at"]

    def validate(self, attrs: dict) -> dict:
        year_from = attrs.get("year_from", getattr(self.instance, "year_from", None))
        year_to = attrs.get("year_to", getattr(self.instance, "year_to", None))
        if year_from is not None and year_to is not None and year_from > year_to:
            raise serializers.ValidationError({"year_to": "year_to must not be before year_from."})
        return attrs


class DocumentUpdateSerializer(DocumentSerializer):
    """The collection and kind of a document do not change after creation."""

    collection = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta(DocumentSerializer.Meta):
        read_only_fields = ["kind"]


class IngestMetadataSerializer(serializers.Serializer):
    """Optional metadata for every document an ingest creates."""

    title = serializers.CharField(max_length=500, required=False, allow_blank=True)
    creator = serializers.CharField(max_length=300, required=False, allow_blank=True)
    date = serializers.CharField(max_length=100, required=False, allow_blank=True)
    year_from = serializers.IntegerField(required=False, allow_null=True, min_value=YEAR_MIN, max_value=YEAR_MAX)
    year_to = serializers.IntegerField(required=False, allow_null=True, min_value=YEAR_MIN, max_value=YEAR_MAX)
    place = serializers.CharField(max_length=300, required=False, allow_blank=True)
    language = serializers.CharField(max_length=35, required=False, allow_blank=True)
    rights = serializers.CharField(max_length=500, required=False, allow_blank=True)
    source = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    tags = serializers.ListField(child=serializers.CharField(max_length=100), required=False)

    def validate(self, attrs: dict) -> dict:
        if attrs.get("year_from") is not None and attrs.get("year_to") is not None and attrs["year_from"] > attrs["year_to"]:
            raise serializers.ValidationError({"year_to": "year_to must not be before year_from."})
        return attrs


class DefaultModelSerializer(serializers.Serializer):
    """The recognizer a collection's transcribe jobs use when none is named (null: the shipped default)."""

    model = serializers.IntegerField(allow_null=True, min_value=1, max_value=2**62)


class IngestRequestSerializer(serializers.Serializer):
    """Multipart form: ``files`` (repeat it; ``files[]`` also accepted), optional ``title`` and ``metadata`` (JSON)."""

    files = serializers.ListField(child=serializers.FileField(allow_empty_file=True))
    title = serializers.CharField(required=False, max_length=500)
    metadata = serializers.JSONField(required=False, help_text="JSON object: creator, date, year_from, year_to, place, "
                                                               "language, rights, source, description, tags")
    document = serializers.IntegerField(required=False, help_text="Add the files' pages at the end of this existing "
                                                                 "scan document instead of creating documents")


class IngestFileResultSerializer(serializers.Serializer):
    file = serializers.CharField()
    status = serializers.ChoiceField(choices=["ok", "error"])
    document = serializers.IntegerField(allow_null=True, help_text="First document created (null on error)")
    documents = serializers.ListField(child=serializers.IntegerField())
    pages = serializers.IntegerField()
    texts = serializers.IntegerField()
    skipped = serializers.ListField(child=serializers.DictField())
    error = serializers.DictField(allow_null=True)


class IngestResponseSerializer(serializers.Serializer):
    results = IngestFileResultSerializer(many=True)


class JobAcceptedSerializer(serializers.Serializer):
    """A background job was queued (202): poll ``url`` (``/api/v1/jobs/<id>/``) for progress and the result."""

    job = serializers.IntegerField()
    state = serializers.CharField()
    kind = serializers.CharField()
    url = serializers.URLField()
    files = serializers.ListField(child=serializers.CharField(), required=False,
                                  help_text="The uploaded files the job ingests (heavy ingests)")


def job_accepted(request, job, **extra) -> dict:
    """The 202 body for a queued job (its Location header is ``url``)."""
    return {"job": job.pk, "state": job.state, "kind": job.kind,
            "url": request.build_absolute_uri(f"/api/v1/jobs/{job.pk}/"), **extra}


class PageSerializer(CachedFieldsMixin, serializers.ModelSerializer):
    document = serializers.PrimaryKeyRelatedField(read_only=True)
    sha256 = serializers.CharField(source="image_id", read_only=True)
    mime_type = serializers.CharField(source="image.mime_type", read_only=True)
    # A plain string in the schema: it is "" for a page that was not imported from IIIF (not a URI then).
    iiif_source = serializers.CharField(read_only=True, help_text="IIIF image URL the page came from; empty if none")
    image_url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()
    line_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Page
        fields = ["id", "document", "order", "label", "width", "height", "original_filename", "sha256", "mime_type",
                  "iiif_source", "image_url", "thumbnail_url", "line_count", "created_at"]
        read_only_fields = ["order", "width", "height", "original_filename", "iiif_source"]

    @extend_schema_field(OpenApiTypes.URI)
    def get_image_url(self, obj: Page) -> str:
        return self.context["request"].build_absolute_uri(reverse("page-image", args=[obj.pk]))

    @extend_schema_field(OpenApiTypes.URI)
    def get_thumbnail_url(self, obj: Page) -> str:
        return self.context["request"].build_absolute_uri(reverse("page-thumbnail", args=[obj.pk]))


def points(**kwargs) -> serializers.ListField:
    """[[x, y], ...] in page pixels."""
    return serializers.ListField(child=serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2), **kwargs)


class LineSerializer(CachedFieldsMixin, serializers.ModelSerializer):
    """Geometry checks (self-intersection, inside the image, empty baseline) are the layout services'."""

    page = PageField()
    polygon = points(min_length=3, required=False,
                     help_text="[[x, y], ...]; when omitted, fitted to the baseline on the scan (the segmenter's band "
                               "at the page's line spacing, less the neighbour lines' ink)")
    baseline = points(required=False, help_text="[[x, y], ...]; derived from the polygon when omitted, never empty. "
                                                "A polygon, a baseline or both are required")
    region = serializers.IntegerField(source="region_id", required=False, allow_null=True,
                                      help_text="A region of the same page, or null")
    created_by = UsernameField()

    class Meta:
        model = Line
        fields = ["id", "page", "region", "polygon", "baseline", "order", "version", "source", "created_by",
                  "model_version", "job", "external_id", "created_at"]
        read_only_fields = ["source", "model_version", "job", "version"]
        extra_kwargs = {"order": {"required": False, "help_text": "Reading order (0-based); placed by height when omitted"}}


class LineUpdateSerializer(LineSerializer):
    page = serializers.PrimaryKeyRelatedField(read_only=True)
    polygon = points(min_length=3, required=False)


class TextSerializer(CachedFieldsMixin, serializers.ModelSerializer):
    document = DocumentField()

    class Meta:
        model = Text
        fields = ["id", "document", "content", "encoding", "original_filename", "sha256", "created_at"]
        read_only_fields = ["encoding", "sha256", "original_filename"]


class TextUpdateSerializer(TextSerializer):
    document = serializers.PrimaryKeyRelatedField(read_only=True)


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
