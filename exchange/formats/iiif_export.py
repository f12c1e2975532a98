"""IIIF Presentation 3 export: a Manifest per document, a Collection per collection.

Each page is a Canvas painted with the page image (absolute URL of the image endpoint).
Its annotations are (1) the current transcription of every line as ``supplementing``
TextualBody annotations on ``canvas#xywh=`` of the line, with the agent as creator or
generator, and (2) the curators' W3C annotations on that page, mapped by the annotation
engineer's ``inscription.annotations.jsonld`` with page references turned into canvases.
"""
from __future__ import annotations

from html import escape
from typing import Any

from archive.models import Collection, Document, Page
from exchange.formats import common
from inscription.models import Layer

CONTEXT = "http://iiif.io/api/presentation/3/context.json"
MEDIA_TYPE = f'application/ld+json;profile="{CONTEXT}"'
RIGHTS_PREFIXES = ("http://creativecommons.org/licenses/", "http://creativecommons.org/publicdomain/", "http://rightsstatements.org/vocab/")


def lang_map(value: str, language: str = "") -> dict[str, list[str]]:
    return {(language.split("-")[0].lower() if language else "none"): [value]}


def manifest_url(base: str, document: Document) -> str:
    return common.api_url(base, "document-manifest", f"/api/v1/documents/{document.pk}/manifest/", pk=document.pk)


def collection_url(base: str, collection: Collection) -> str:
    return common.api_url(base, "collection-iiif", f"/api/v1/collections/{collection.slug}/iiif/", slug=collection.slug)


def canvas_id(base: str, page: Page) -> str:
    return f"{manifest_url(base, page.document)}canvas/{page.pk}"


def _metadata(document: Document) -> list[dict]:
    fields = [("Creator", document.creator), ("Date", document.date), ("Place", document.place), ("Language", document.language),
              ("Source", document.source), ("Rights", document.rights)]
    fields.append(("Description", document.description))
    tags = ", ".join(t.name for t in document.tags.all())
    if tags:
        fields.append(("Tags", tags))
    coll = document.collection
    fields += [("Collection", coll.title), ("Collection creator", coll.creator), ("Collection date", coll.date),
               ("Collection source", coll.source), ("Collection rights", coll.rights), ("Collection language", coll.language)]
    return [{"label": {"en": [label]}, "value": {"none": [value]}} for label, value in fields if value]


def _collection_metadata(coll: Collection) -> list[dict]:
    fields = [("Creator", coll.creator), ("Date", coll.date), ("Source", coll.source), ("Rights", coll.rights),
              ("Language", coll.language)]
    return [{"label": {"en": [label]}, "value": {"none": [value]}} for label, value in fields if value]


def manifest(document: Document, base: str, layer: Layer | None = None, with_annotations: bool = True) -> dict[str, Any]:
    """The IIIF Presentation 3 Manifest of one document (a dict ready for JSON)."""
    url = manifest_url(base, document)
    pages = list(document.pages.select_related("image", "document").order_by("order", "id"))
    texts = common.current_line_inscriptions(pages, layer)
    lines_by_page = {p.pk: common.ordered_lines(p) for p in pages}
    line_ids = common.xml_line_ids(pages, lines_by_page)
    annotations_by_page = _curator_annotations(document, base) if with_annotations else {}
    out: dict[str, Any] = {
        "@context": CONTEXT,
        "id": url,
        "type": "Manifest",
        "label": lang_map(document.title, document.language),
    }
    if document.description:
        out["summary"] = lang_map(document.description, document.language)
    metadata = _metadata(document)
    if metadata:
        out["metadata"] = metadata
    if document.rights:
        out["requiredStatement"] = {"label": {"en": ["Rights"]}, "value": {"none": [document.rights]}}
        if document.rights.startswith(RIGHTS_PREFIXES):
            out["rights"] = document.rights
    out["provider"] = [{"id": f"{base}/", "type": "Agent", "label": {"en": ["Palimpsest"]}}]
    out["partOf"] = [{"id": collection_url(base, document.collection), "type": "Collection",
                      "label": lang_map(document.collection.title)}]
    out["seeAlso"] = [{
        "id": common.api_url(base, "document-alto", f"/api/v1/documents/{document.pk}/alto/", pk=document.pk),
        "type": "Dataset", "format": "application/xml", "profile": "http://www.loc.gov/standards/alto/v4/alto.xsd",
        "label": {"en": ["ALTO 4 (all pages)"]},
    }]
    out["items"] = [
        _canvas(page, base, n, lines_by_page[page.pk], texts, line_ids, annotations_by_page.get(page.pk, []))
        for n, page in enumerate(pages, 1)
    ]
    document_level = annotations_by_page.get(None, [])
    if document_level:
        out["annotations"] = [{"id": f"{url}annotations/curators", "type": "AnnotationPage",
                               "label": {"en": ["Curators' annotations"]}, "items": document_level}]
    return out


def _canvas(page: Page, base: str, n: int, lines, texts, line_ids, curator: list[dict]) -> dict[str, Any]:
    cid = canvas_id(base, page)
    canvas: dict[str, Any] = {
        "id": cid,
        "type": "Canvas",
        "label": {"none": [page.label or f"p. {n}"]},
        "width": page.width,
        "height": page.height,
        "thumbnail": [{"id": common.page_thumbnail_url(base, page), "type": "Image", "format": "image/jpeg"}],
        "items": [{
            "id": f"{cid}/painting",
            "type": "AnnotationPage",
            "items": [{
                "id": f"{cid}/painting/image",
                "type": "Annotation",
                "motivation": "painting",
                "body": {"id": common.page_image_url(base, page), "type": "Image", "format": page.image.mime_type,
                         "width": page.width, "height": page.height},
                "target": cid,
            }],
        }],
        "seeAlso": [
            {"id": common.api_url(base, "page-alto", f"/api/v1/pages/{page.pk}/alto/", pk=page.pk), "type": "Dataset",
             "format": "application/xml", "profile": "http://www.loc.gov/standards/alto/v4/alto.xsd", "label": {"en": ["ALTO 4"]}},
            {"id": common.api_url(base, "page-page-xml", f"/api/v1/pages/{page.pk}/page-xml/", pk=page.pk), "type": "Dataset",
             "format": "application/xml", "profile": "http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15",
             "label": {"en": ["PAGE XML 2019"]}},
        ],
    }
    transcription = []
    for line in lines:
        ins = texts.get(line.pk)
        if ins is None:
            continue
        polygon = common.polygon_of(line, page)
        x, y, w, h = common.bbox(polygon)
        agent = common.agent_of(ins)
        anno: dict[str, Any] = {
            "id": f"{cid}/transcription/{line_ids[line.pk]}",
            "type": "Annotation",
            "motivation": "supplementing",
            "created": ins.created_at.isoformat().replace("+00:00", "Z"),
            "body": {"type": "TextualBody", "value": ins.text, "format": "text/plain"},
            "target": _line_target(cid, (x, y, w, h), polygon, common.baseline_of(line, page), line.kind),
        }
        if page.document.language:
            anno["body"]["language"] = page.document.language
        if agent.kind == "model":
            anno["generator"] = {"type": "Software", "name": f"{agent.name} {agent.version}",
                                 "nickname": f"sha256:{agent.sha256}; decoder:{agent.decoder or 'unknown'}"}
        else:
            anno["creator"] = {"type": "Person", "nickname": agent.username, "name": agent.label}
        transcription.append(anno)
    pages = []
    if transcription:
        pages.append({"id": f"{cid}/transcription", "type": "AnnotationPage", "label": {"en": ["Transcription"]},
                      "items": transcription})
    if curator:
        pages.append({"id": f"{cid}/curators", "type": "AnnotationPage", "label": {"en": ["Curators' annotations"]},
                      "items": curator})
    if pages:
        canvas["annotations"] = pages
    return canvas


def _line_target(cid: str, box, polygon, baseline, kind: str = "") -> dict[str, Any]:
    """The line on the canvas: its box (FragmentSelector, what every viewer reads) and, as an equivalent selector, its
    polygon and baseline in SVG (a ``polyline`` with class ``baseline``), so an import gets the exact geometry back.
    A line type (SegmOnto, e.g. HeadingLine) rides on the polygon as ``data-line-type`` (IIIF has no slot for it)."""
    x, y, w, h = box
    typed = f' data-line-type="{escape(kind, quote=True)}"' if kind else ""
    svg = f'<svg xmlns="http://www.w3.org/2000/svg"><polygon{typed} points="{common.points_str(polygon)}"/>'
    if baseline:
        svg += f'<polyline class="baseline" points="{common.points_str(baseline)}"/>'
    return {"type": "SpecificResource", "source": {"id": cid, "type": "Canvas"}, "selector": [
        {"type": "FragmentSelector", "conformsTo": "http://www.w3.org/TR/media-frags/", "value": f"xywh={x},{y},{max(w, 1)},{max(h, 1)}"},
        {"type": "SvgSelector", "value": svg + "</svg>"},
    ]}


def _curator_annotations(document: Document, base: str) -> dict[int | None, list[dict]]:
    """page id (None: document-level) → the W3C annotations of that page, page targets mapped to canvases."""
    from inscription.annotations.jsonld import annotation_to_jsonld, iri
    from inscription.models import Annotation

    canvases = {f"page:{p.pk}": canvas_id(base, p) for p in document.pages.select_related("document")}

    def iri_for(ref: str) -> str:
        return canvases.get(ref) or iri(base, ref)

    grouped: dict[int | None, list[dict]] = {}
    qs = Annotation.objects.filter(document=document, withdrawn=False).select_related("created_by").order_by("created_at", "id")
    for annotation in qs:
        grouped.setdefault(annotation.page_id, []).append(annotation_to_jsonld(annotation, base, iri_for, with_context=False))
    return grouped


def collection(coll: Collection, base: str, documents) -> dict[str, Any]:
    """The IIIF Collection of a collection's documents (only those the caller may read are passed in)."""
    out: dict[str, Any] = {
        "@context": CONTEXT,
        "id": collection_url(base, coll),
        "type": "Collection",
        "label": lang_map(coll.title),
        "items": [{"id": manifest_url(base, d), "type": "Manifest", "label": lang_map(d.title, d.language)} for d in documents],
    }
    if coll.description:
        out["summary"] = lang_map(coll.description)
    metadata = _collection_metadata(coll)
    if metadata:
        out["metadata"] = metadata
    if coll.rights:
        out["requiredStatement"] = {"label": {"en": ["Rights"]}, "value": {"none": [coll.rights]}}
        if coll.rights.startswith(RIGHTS_PREFIXES):
            out["rights"] = coll.rights
    return out
