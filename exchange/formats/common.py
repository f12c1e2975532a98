"""What every export needs: which text is current on each line, who wrote it, absolute URLs, geometry."""
from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet

from archive.models import Document, Line, Page
from inscription.models import Inscription, InscriptionKind, Layer, LayerKind
from palimpsest.errors import InputError
from palimpsest.ids import as_id

# Which layer's text is "the current transcription" when none is asked for: a person's
# reading first, then imported ones, then the machine's.
LAYER_PRECEDENCE = {LayerKind.GROUND_TRUTH: 0, LayerKind.IMPORT: 1, LayerKind.MACHINE: 2, LayerKind.OTHER: 3}
NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


def unique_id(candidate: str, fallback: str, used: set[str]) -> str:
    """An XML id for an exported element: the file's own id when it is a valid NCName not used yet, else ``fallback``
    (made unique by trailing underscores). Records it in ``used``."""
    ident = candidate if candidate and NCNAME.match(candidate) and candidate not in used else fallback
    while ident in used:
        ident += "_"
    used.add(ident)
    return ident


def base_url(request=None) -> str:
    """Scheme + host for absolute URLs: from the request, else SITE_URL (exports run without one)."""
    if request is not None:
        return request.build_absolute_uri("/").rstrip("/")
    return (getattr(settings, "SITE_URL", "") or os.environ.get("SITE_URL") or "http://localhost:8000").rstrip("/")


def api_url(base: str, name: str, path: str, **kwargs) -> str:
    """Absolute URL of an API route, by its fixed /api/v1/ path.

    Not ``reverse(name)``: URL names are global and the web interface reuses some of the
    API's (e.g. "page-image"), so reversing a bare name can land on an HTML view. ``name``
    documents which route is meant.
    """
    return base + path


def page_image_url(base: str, page: Page) -> str:
    return api_url(base, "page-image", f"/api/v1/pages/{page.pk}/image/", pk=page.pk)


def page_thumbnail_url(base: str, page: Page) -> str:
    return api_url(base, "page-thumbnail", f"/api/v1/pages/{page.pk}/thumbnail/", pk=page.pk)


def resolve_layer(document: Document, layer_param: str | None) -> Layer | None:
    """The layer named by ``?layer=`` (its id or its name) on this document, or None for 'best current'."""
    if not layer_param:
        return None
    qs = Layer.objects.filter(document=document)
    layer = qs.filter(pk=as_id(layer_param) or 0).first()
    layer = layer or qs.filter(name=layer_param).first()
    if layer is None:
        raise InputError(f"This document has no layer '{layer_param}'.", code="unknown_layer")
    return layer


def current_line_inscriptions(pages: Iterable[Page], layer: Layer | None = None) -> dict[int, Inscription]:
    """line id → the inscription whose text is current on that line.

    With a layer: that layer's current, not withdrawn version. Without: per line, the
    layer with the best precedence (ground truth > import > machine), newest layer first.
    """
    page_ids = [p.pk for p in pages]
    qs: QuerySet[Inscription] = Inscription.objects.filter(
        page_id__in=page_ids, line__isnull=False, is_current=True, withdrawn=False, kind=InscriptionKind.TRANSCRIPTION
    ).select_related("layer", "created_by", "model_version")
    if layer is not None:
        qs = qs.filter(layer=layer)
    best: dict[int, Inscription] = {}
    for ins in qs:
        rank = (LAYER_PRECEDENCE.get(ins.layer.kind, 9), -ins.layer.created_at.timestamp(), -ins.layer_id)
        held = best.get(ins.line_id)
        if held is None or rank < (LAYER_PRECEDENCE.get(held.layer.kind, 9), -held.layer.created_at.timestamp(), -held.layer_id):
            best[ins.line_id] = ins
    return best


@dataclass(frozen=True)
class Agent:
    """Who wrote a text: a person (username) or a model version with its decoder."""

    kind: str  # "human" | "model"
    label: str
    name: str = ""
    version: str = ""
    sha256: str = ""
    decoder: str = ""
    username: str = ""
    provenance: str = ""  # JSON of an imported reading's processing steps (exchange.formats.provenance)

    def steps(self) -> list[dict]:
        return json.loads(self.provenance) if self.provenance else []

    def reading_index(self) -> int:
        """Which of ``steps()`` wrote the text (the one lines point at)."""
        from exchange.formats.provenance import reading_step

        steps = self.steps()
        step = reading_step(steps)
        return steps.index(step) if step in steps else len(steps) - 1

    @property
    def key(self) -> str:
        return f"model:{self.name}:{self.version}:{self.sha256}:{self.decoder}" if self.kind == "model" else f"human:{self.username}"

    def describe(self) -> str:
        if self.kind == "model":
            return f"model={self.name}; version={self.version}; sha256={self.sha256}; decoder={self.decoder or 'unknown'}"
        return f"human={self.username}"


def agent_of(ins: Inscription) -> Agent:
    if ins.model_version_id:
        mv = ins.model_version
        decoder = str((ins.parameters or {}).get("decoder") or (ins.layer.parameters or {}).get("decoder") or "")
        steps = ((ins.layer.parameters or {}).get("provenance") or {}).get((ins.parameters or {}).get("source_file") or "")
        return Agent("model", f"{mv.name} {mv.version}".strip(), name=mv.name, version=mv.version, sha256=mv.sha256, decoder=decoder,
                     provenance=json.dumps(steps, sort_keys=True) if steps else "")
    username = ins.created_by.get_username() if ins.created_by_id else "unknown"
    software = (ins.layer.parameters or {}).get("software") if ins.layer.kind == LayerKind.IMPORT else ""
    label = f"{username} (import from {software})" if software else username
    return Agent("human", label, username=username)


def ordered_lines(page: Page) -> list[Line]:
    """Lines of a page in reading order."""
    return list(page.lines.select_related("region").order_by("order", "id"))


def xml_line_ids(pages: Iterable[Page], lines_by_page: dict[int, list[Line]]) -> dict[int, str]:
    """A stable XML ID per line: its external id when that is a valid, unique NCName, else p{n}_l{m}.

    Derived from content order (not database ids), so a restored archive exports the same ids.
    """
    ids: dict[int, str] = {}
    used: set[str] = set()
    for page_index, page in enumerate(pages, 1):
        for line_index, line in enumerate(lines_by_page[page.pk], 1):
            candidate = line.external_id
            if not candidate or not NCNAME.match(candidate) or candidate in used:
                candidate = f"p{page_index}_l{line_index}"
                while candidate in used:
                    candidate += "_"
            used.add(candidate)
            ids[line.pk] = candidate
    return ids


def polygon_of(line: Line, page: Page) -> list[list[int]]:
    """The line polygon as integer points inside the page; the bbox of the baseline or the page as fallback."""
    points = line.polygon or []
    if len(points) < 3 and line.baseline:
        xs = [p[0] for p in line.baseline]
        ys = [p[1] for p in line.baseline]
        points = [[min(xs), min(ys) - 20], [max(xs), min(ys) - 20], [max(xs), max(ys) + 5], [min(xs), max(ys) + 5]]
    if len(points) < 3:
        points = [[0, 0], [page.width, 0], [page.width, page.height], [0, page.height]]
    return [clamp(p, page) for p in points]


def clamp(point, page: Page) -> list[int]:
    x = int(round(float(point[0])))
    y = int(round(float(point[1])))
    return [min(max(x, 0), max(page.width, 1)), min(max(y, 0), max(page.height, 1))]


def bbox(points: list[list[int]]) -> tuple[int, int, int, int]:
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)


def points_str(points: Iterable) -> str:
    return " ".join(f"{int(p[0])},{int(p[1])}" for p in points)


def baseline_of(line: Line, page: Page) -> list[list[int]]:
    pts = [clamp(p, page) for p in (line.baseline or [])]
    return pts if len(pts) >= 2 else []


def words_of(text: str) -> list[tuple[int, int]]:
    """(start, end) character spans of the space-separated words of a line."""
    return [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]


def word_box(ins: Inscription, start: int, end: int, line_box: tuple[int, int, int, int]) -> tuple[int, int, int, int] | None:
    """Page box of characters start..end from the machine's char_columns (line-image columns), if it kept them."""
    cols = ins.char_columns or []
    if len(cols) != len(ins.text) or not cols[start:end]:
        return None
    try:
        x0 = min(int(c[0]) for c in cols[start:end])
        x1 = max(int(c[1]) for c in cols[start:end])
    except (TypeError, ValueError, IndexError):
        return None
    lx, ly, lw, lh = line_box
    x0, x1 = max(0, min(x0, lw)), max(0, min(x1, lw))
    return lx + x0, ly, max(1, x1 - x0), max(1, lh)


def char_confidences(ins: Inscription) -> list[float] | None:
    confs = ins.char_confidences
    if not isinstance(confs, list) or len(confs) != len(ins.text):
        return None
    try:
        return [min(1.0, max(0.0, float(c))) for c in confs]
    except (TypeError, ValueError):
        return None


def sub_element(parent, namespace: str, tag: str, **attrs):
    """A namespaced child element; attributes whose value is None are left out (ALTO and PAGE writers)."""
    from lxml import etree

    el = etree.SubElement(parent, f"{{{namespace}}}{tag}")
    for key, value in attrs.items():
        if value is not None:
            el.set(key, str(value))
    return el


class XmlWriter:
    """What the ALTO and PAGE writers share: their namespace, the root element with its schema location,
    namespaced children, and the lines and texts of the pages they write."""

    XSI = "http://www.w3.org/2001/XMLSchema-instance"

    def __init__(self, namespace: str, schema_location: str, **extra_namespaces: str) -> None:
        self.ns, self.schema_location, self.extra = namespace, schema_location, extra_namespaces

    def root(self, tag: str):  # noqa: ANN201 - an lxml element
        from lxml import etree

        root = etree.Element(f"{{{self.ns}}}{tag}", nsmap={None: self.ns, **self.extra, "xsi": self.XSI})
        root.set(f"{{{self.XSI}}}schemaLocation", self.schema_location)
        return root

    def el(self, parent, _tag: str, **attrs):  # noqa: ANN001, ANN201
        return sub_element(parent, self.ns, _tag, **attrs)

    @staticmethod
    def page_lines(pages: list[Page], layer: Layer | None) -> tuple[dict[int, Inscription], dict[int, list[Line]], dict[int, str]]:
        """(line id → current inscription, page id → lines in reading order, line id → XML ID)."""
        texts = current_line_inscriptions(pages, layer)
        lines_by_page = {p.pk: ordered_lines(p) for p in pages}
        return texts, lines_by_page, xml_line_ids(pages, lines_by_page)


def short_decimal(value: float, low: float | None = None, high: float | None = None) -> str:
    """At most three decimals, no trailing zeros (optionally clamped), as XML attributes want numbers."""
    if low is not None:
        value = max(low, value)
    if high is not None:
        value = min(high, value)
    return f"{value:.3f}".rstrip("0").rstrip(".")


# Dublin Core elements a document and its collection carry, in the order exports write them.
DC_DOCUMENT = (("title", "title"), ("creator", "creator"), ("date", "date"), ("description", "description"),
               ("source", "source"), ("rights", "rights"), ("language", "language"), ("coverage", "place"))
DC_COLLECTION = (("title", "title"), ("creator", "creator"), ("date", "date"), ("description", "description"),
                 ("source", "source"), ("rights", "rights"), ("language", "language"))


def dublin_core(document, with_title: bool = True) -> list[tuple[str, str]]:  # noqa: ANN001
    """("dc:term", value) pairs of the document, then "dcterms:isPartOf" and the collection's own elements
    (prefixed "collection dc:…") where it has them; empty values are left out. ALTO and PAGE headers leave
    the title out (``with_title=False``): an import names its document after the file, and a page's XML
    should read back to the same bytes."""
    out = [(f"dc:{term}", getattr(document, field) or "") for term, field in DC_DOCUMENT if with_title or term != "title"]
    coll = document.collection
    out.append(("dcterms:isPartOf", coll.title))
    out += [(f"collection dc:{term}", getattr(coll, field, "") or "") for term, field in DC_COLLECTION if term != "title"]
    return [(k, str(v)) for k, v in out if str(v).strip()]
