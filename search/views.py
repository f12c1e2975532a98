"""The search results page: hits highlighted in the text and boxed on the scan, facets, more on scroll."""
from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from archive.models import Page
from palimpsest.errors import InputError
from search.api.serializers import SearchParams
from search.api.views import hit_urls, request_from
from search.services.query import SearchResults, search

PAGE_SIZE = 20
FILTERS = ("collection", "document", "layer", "kind", "agent", "confidence_min", "confidence_max", "year_from", "year_to",
           "versions", "alternatives")


def _segments(text: str, spans: list[list[int]]) -> list[tuple[str, bool]]:
    """The text cut into (piece, highlighted?) for the template (escaping stays the template's job)."""
    out, at = [], 0
    for start, end in spans:
        if start < at:
            continue
        if start > at:
            out.append((text[at:start], False))
        out.append((text[start:end], True))
        at = end
    if at < len(text):
        out.append((text[at:], False))
    return out


def _scan(hit: dict, pages: dict[int, tuple[int, int]]) -> dict | None:
    """An SVG window on the page around the line, with the hit's boxes (page pixels)."""
    box = hit.get("line_box")
    if not hit["page"] or not box or hit["page"] not in pages:
        return None
    width, height = pages[hit["page"]]
    pad = max(8, box["h"] // 2)
    x, y = max(0, box["x"] - pad), max(0, box["y"] - pad)
    w, h = min(width - x, box["w"] + 2 * pad), min(height - y, box["h"] + 2 * pad)
    return {"page": hit["page"], "width": width, "height": height, "view": f"{x} {y} {w} {h}", "boxes": hit["boxes"]}


def _decorate(results: SearchResults) -> list[dict]:
    pages = {p["pk"]: (p["width"], p["height"]) for p in
             Page.objects.filter(pk__in={h["page"] for h in results.hits if h["page"]}).values("pk", "width", "height")}
    return [hit_urls(h) | {"segments": _segments(h["text"], h["highlights"]), "scan": _scan(h, pages)}
            for h in results.hits]


def _query(request: HttpRequest, **changes: object) -> str:
    params = {k: v for k, v in request.GET.items() if k in ("q", "p", *FILTERS) and v != ""}
    params.update({k: v for k, v in changes.items() if v is not None})
    for k, v in changes.items():
        if v is None:
            params.pop(k, None)
    return urlencode(params)


def _run(request: HttpRequest) -> tuple[SearchResults | None, str | None]:
    if not request.GET.get("q", "").strip():
        return None, None
    params = SearchParams(data={**request.GET.dict(), "page_size": PAGE_SIZE})
    if not params.is_valid():
        field, errors = next(iter(params.errors.items()))
        return None, f"{field}: {errors[0]}"
    try:
        return search(request.user, request_from(params.validated_data)), None
    except InputError as exc:
        return None, exc.message


def _facet_links(request: HttpRequest, results: SearchResults) -> list[dict]:
    groups = []
    for name, label in (("kind", "Kind"), ("collection", "Collection"), ("document", "Document"), ("layer", "Layer"),
                        ("agent", "Written by"), ("confidence", "Machine confidence"), ("date", "Document date")):
        items = []
        for f in results.facets.get(name, []):
            if name == "confidence":
                change = {"confidence_min": f["min"], "confidence_max": f["max"]}
                active = request.GET.get("confidence_min") == (str(f["min"]) if f["min"] is not None else None)
            elif name == "date":
                change = {"year_from": f["value"], "year_to": f["value"] + 9}
                active = request.GET.get("year_from") == str(f["value"])
            else:
                change = {name: f["value"]}
                active = request.GET.get(name) == str(f["value"])
            change["p"] = None
            items.append({"label": f.get("label") or f["value"], "count": f["count"], "active": active,
                          "href": "?" + _query(request, **change)})
        if items:
            groups.append({"name": name, "label": label, "items": items})
    return groups


def results(request: HttpRequest) -> HttpResponse:
    found, error = _run(request)
    context = {"q": request.GET.get("q", ""), "error": error, "results": found, "nav": "search",
               "breadcrumbs": [("Search", None)], "alternatives_off": request.GET.get("alternatives") == "off"}
    if found is not None:
        context |= {"hits": _decorate(found), "facets": _facet_links(request, found),
                    "filtered": any(request.GET.get(k) for k in FILTERS if k != "alternatives"),
                    "clear_href": "?" + urlencode({"q": context["q"]}),
                    "next_href": _next(request, found)}
    return render(request, "search/results.html", context)


def _next(request: HttpRequest, found: SearchResults) -> str | None:
    if found.page * found.page_size >= found.total:
        return None
    return "?" + _query(request, p=found.page + 1)


def more_hits(request: HttpRequest) -> HttpResponse:
    """The next page of hits (htmx loads it when the end of the list scrolls into view)."""
    found, error = _run(request)
    context = {"hits": _decorate(found) if found else [], "error": error,
               "next_href": _next(request, found) if found else None}
    return render(request, "search/hits.html", context)
