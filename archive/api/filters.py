"""Query filters for the holdings lists (django-filter)."""
from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet

from archive.models import Collection, Document, DocumentKind, Line, Page, Text, Visibility
from palimpsest.ids import IdFilter, Int32Filter


class CollectionFilter(django_filters.FilterSet):
    visibility = django_filters.ChoiceFilter(choices=Visibility.choices)

    class Meta:
        model = Collection
        fields = ["visibility"]


class DocumentFilter(django_filters.FilterSet):
    collection = django_filters.CharFilter(field_name="collection__slug", help_text="Collection slug")
    collection_id = IdFilter(field_name="collection_id")
    kind = django_filters.ChoiceFilter(choices=DocumentKind.choices)
    language = django_filters.CharFilter(field_name="language", lookup_expr="iexact")
    tag = django_filters.CharFilter(field_name="tags__name", lookup_expr="iexact", distinct=True)
    year_from = Int32Filter(method="filter_years", help_text="Documents whose years overlap [year_from, year_to]")
    year_to = Int32Filter(method="filter_years", help_text="Documents whose years overlap [year_from, year_to]")

    class Meta:
        model = Document
        fields = ["collection", "collection_id", "kind", "language", "tag", "year_from", "year_to"]

    def filter_years(self, queryset: QuerySet, name: str, value: int) -> QuerySet:
        """Range overlap: a document dated 1840-1850 matches year_from=1845, and year_to=1841.
        A document with one year only counts as that single year; undated documents never match."""
        if name == "year_from":  # the document ends at or after value
            return queryset.filter(Q(year_to__gte=value) | Q(year_to__isnull=True, year_from__gte=value))
        return queryset.filter(Q(year_from__lte=value) | Q(year_from__isnull=True, year_to__lte=value))


class PageFilter(django_filters.FilterSet):
    document = IdFilter(field_name="document_id")
    collection = django_filters.CharFilter(field_name="document__collection__slug", help_text="Collection slug")

    class Meta:
        model = Page
        fields = ["document", "collection"]


class LineFilter(django_filters.FilterSet):
    page = IdFilter(field_name="page_id")
    document = IdFilter(field_name="page__document_id")
    source = django_filters.CharFilter(field_name="source")

    class Meta:
        model = Line
        fields = ["page", "document", "source"]


class TextFilter(django_filters.FilterSet):
    document = IdFilter(field_name="document_id")
    collection = django_filters.CharFilter(field_name="document__collection__slug", help_text="Collection slug")
    encoding = django_filters.CharFilter(field_name="encoding")

    class Meta:
        model = Text
        fields = ["document", "collection", "encoding"]

