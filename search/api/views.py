"""GET /api/v1/search/: full-text and probabilistic search over what the user may read."""
from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from palimpsest.errors import InputError
from search.api.serializers import SearchAnswer, SearchParams
from search.services.query import SearchRequest, search


def alternatives_threshold(raw: str | None) -> float | None:
    """'off' → None; empty → the server default; otherwise a probability in (0, 1]."""
    if raw is None or raw == "":
        return getattr(settings, "SEARCH_ALTERNATIVES_THRESHOLD", 0.0002)
    if raw.lower() in ("off", "no", "false", "0"):
        return None
    try:
        value = float(raw)
    except ValueError:
        raise InputError("alternatives is a probability threshold in (0, 1], or 'off'.", code="bad_threshold") from None
    if not 0 < value <= 1:
        raise InputError("alternatives is a probability threshold in (0, 1], or 'off'.", code="bad_threshold")
    return value


def request_from(data: dict) -> SearchRequest:
    """A SearchRequest from validated SearchParams."""
    return SearchRequest(
        q=data["q"], collection=data.get("collection"), document=data.get("document"), layer=data.get("layer"),
        kind=data.get("kind"), agent=data.get("agent"), confidence_min=data.get("confidence_min"),
        confidence_max=data.get("confidence_max"), year_from=data.get("year_from"), year_to=data.get("year_to"),
        written_after=data.get("written_after"), written_before=data.get("written_before"),
        versions=data.get("versions", False), alternatives=alternatives_threshold(data.get("alternatives")),
        page=data.get("p", 1), page_size=data.get("page_size", 20), facets=data.get("facets", True))


def hit_urls(hit: dict) -> dict:
    """Where a hit opens: the workspace at its line, the reflection, the document."""
    api = None
    if hit["kind"] in ("line", "inscription"):
        api = reverse("inscription-detail", args=[hit["object_id"]])
    elif hit["kind"] == "annotation":
        api = reverse("annotation-detail", args=[hit["object_id"]])
    if hit["kind"] == "reflection":
        url = reverse("reflection", args=[hit["object_id"]])
    elif hit["page"]:
        url = reverse("workspace", args=[hit["page"]])
        query = [f"layer={hit['layer']['id']}"] if hit["layer"] else []
        if hit["line"]:
            query.append(f"line={hit['line']}")
        url += ("?" + "&".join(query) if query else "") + (f"#line-{hit['line']}" if hit["line"] else "")
    elif hit["document"]:
        url = reverse("document", args=[hit["document"]["id"]])
    else:
        url = ""
    return hit | {"url": url, "api_url": api}


class SearchView(APIView):
    """Search everything the user may read: line readings (machine and human), annotation bodies, reflections
    and document metadata. Accent- and case-insensitive; collections the user cannot read are never searched,
    not even counted. With ``alternatives`` a word also matches machine lines where the recognizer gave it at
    least that probability (hits with ``match: "alternative"`` say what the machine read there)."""

    permission_classes = [AllowAny]

    @extend_schema(parameters=[SearchParams], responses={200: SearchAnswer}, tags=["search"])
    def get(self, request: Request) -> Response:
        params = SearchParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        req = request_from(params.validated_data)
        results = search(request.user, req)
        url = request.build_absolute_uri()
        pages = (results.total + results.page_size - 1) // results.page_size
        nxt = replace_query_param(url, "p", results.page + 1) if results.page < pages else None
        prev = None
        if results.page > 1:
            prev = replace_query_param(url, "p", results.page - 1) if results.page > 2 else remove_query_param(url, "p")
        return Response({"count": results.total, "count_is_lower_bound": results.capped, "text_count": results.text_total,
                         "alternative_count": results.alternative_total, "next": nxt, "previous": prev,
                         "results": [hit_urls(h) for h in results.hits], "facets": results.facets})
