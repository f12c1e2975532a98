"""Relations resolved through the permission layer: an object the user cannot read is a 404."""
from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import NotFound

from archive.models import Collection, Document, Page
from archive.permissions import readable_collection_ids


class ReadableRelatedField(serializers.RelatedField):
    """Accepts only objects in collections the requester can read; anything else is a 404,
    whether it does not exist or is hidden, so existence does not leak."""

    lookup = "pk"
    collection_path = "collection"

    def get_queryset(self):
        user = self.context["request"].user
        return self.queryset.filter(**{f"{self.collection_path}__in": readable_collection_ids(user)})

    def to_internal_value(self, data):
        try:
            return self.get_queryset().get(**{self.lookup: data})
        except (self.queryset.model.DoesNotExist, TypeError, ValueError, OverflowError):
            raise NotFound(f"{self.queryset.model._meta.verbose_name.capitalize()} {data!r} not found.") from None

    def use_pk_only_optimization(self) -> bool:
        return self.lookup == "pk"  # represent by id without loading the related row

    def to_representation(self, value):
        return getattr(value, self.lookup)


@extend_schema_field(OpenApiTypes.STR)
class CollectionSlugField(ReadableRelatedField):
    lookup = "slug"
    collection_path = "pk"

    def __init__(self, **kwargs):
        super().__init__(queryset=Collection.objects.all(), **kwargs)


@extend_schema_field(OpenApiTypes.INT)
class DocumentField(ReadableRelatedField):
    def __init__(self, **kwargs):
        super().__init__(queryset=Document.objects.select_related("collection"), **kwargs)


@extend_schema_field(OpenApiTypes.INT)
class PageField(ReadableRelatedField):
    collection_path = "document__collection"

    def __init__(self, **kwargs):
        super().__init__(queryset=Page.objects.select_related("document__collection"), **kwargs)


class UsernameField(serializers.SlugRelatedField):
    """A user foreign key as its username, or null.

    Why not ``CharField(source="created_by.username", default=None)``: in a partial update DRF skips a
    field whose source fails and that has a default, so a PATCH's response left ``created_by`` out
    for rows without a creator, against the schema (found by bench/fuzz.sh)."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("slug_field", "username")
        kwargs.setdefault("help_text", "The user's name; null when no user did it")
        kwargs["read_only"], kwargs["allow_null"] = True, True
        super().__init__(**kwargs)
