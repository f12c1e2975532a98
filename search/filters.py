"""The ``search=`` parameter of list endpoints: answered by the search index, by plain fields, or refused.

A view says how it is searched: ``search_index = "line" | "inscription" | "annotation"`` (the
search index, accent-insensitive, same query language as /api/v1/search/), or ``search_fields``
(DRF's field search, e.g. titles). A list with neither has no ``search=`` at all: the parameter is
left out of OpenAPI and a request that sends it gets a 400 rather than an unfiltered list.
"""
from __future__ import annotations

from rest_framework.filters import SearchFilter

from palimpsest.errors import InputError

# view.search_index → (entry kinds, search earlier versions too?, entry field holding the row's id)
INDEXES = {
    "line": (("line",), False, "line_id"),
    "inscription": (("line", "inscription"), True, "object_id"),
    "annotation": (("annotation",), False, "object_id"),
}


class ArchiveSearchFilter(SearchFilter):
    def filter_queryset(self, request, queryset, view):  # noqa: ANN001, ANN201
        raw = request.query_params.get(self.search_param)
        index = getattr(view, "search_index", None)
        if index:
            if raw is None or not raw.strip():
                return queryset
            from search.services.query import SearchRequest, matching

            kinds, versions, id_field = INDEXES[index]
            text, _, _ = matching(request.user, SearchRequest(q=raw, versions=versions))
            return queryset.filter(pk__in=text.filter(kind__in=kinds).values(id_field))
        if getattr(view, "search_fields", None):
            return super().filter_queryset(request, queryset, view)
        if raw is not None:
            raise InputError("This list cannot be searched; use /api/v1/search/?q=…", code="search_not_supported",
                             detail={"field": self.search_param})
        return queryset

    def get_schema_operation_parameters(self, view):  # noqa: ANN001, ANN201
        if getattr(view, "search_index", None) or getattr(view, "search_fields", None):
            params = super().get_schema_operation_parameters(view)
            if getattr(view, "search_index", None):
                params[0]["schema"] = {"type": "string"}
                params[0]["description"] = ('Words of the text (accent-insensitive; "phrase", prefix*, fuzzy~, -word), '
                                            "as /api/v1/search/")
            return params
        return []
