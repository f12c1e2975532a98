"""TEI P5 export of a document: the scan geometry in ``facsimile``, the text with line beginnings in ``text``.

Layout: one ``surface`` per page (``ulx/uly/lrx/lry`` in image pixels, a ``graphic`` for the scan),
one ``zone type="line"`` per line with its polygon in ``points``; the text is one ``div`` with a
``pb`` per page and, per line, ``lb facs="#zone" resp="#agent"`` followed by the line's current
text. Provenance: the header names every agent (a person, or a model version with its sha256 and
decoder) in ``titleStmt/respStmt`` and ``encodingDesc/appInfo``; ``revisionDesc`` lists the
layers the text comes from. Dublin Core goes into ``titleStmt``, ``publicationStmt`` and
``sourceDesc``. No package ships TEI's ``tei_all`` schema, so exports are checked against
``schemas/tei/palimpsest-tei.rng``: the TEI elements and attributes this module writes, with
TEI's own names, namespaces and nesting (docs/formats.md).
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from django.utils import timezone
from lxml import etree

from archive.models import Document, Page
from exchange.formats import common
from inscription.models import Layer

NS = "http://www.tei-c.org/ns/1.0"
XML_NS = "http://www.w3.org/XML/1998/namespace"
MEDIA_TYPE = "application/tei+xml; charset=utf-8"
SCHEMA = Path(__file__).resolve().parent / "schemas" / "tei" / "palimpsest-tei.rng"


def _el(parent, tag: str, text: str | None = None, **attrs) -> etree._Element:
    el = etree.SubElement(parent, f"{{{NS}}}{tag}")
    for key, value in attrs.items():
        if value not in (None, ""):
            el.set(f"{{{XML_NS}}}{key[4:]}" if key.startswith("xml_") else key, str(value))
    if text:
        el.text = text
    return el


def _points(polygon) -> str:  # noqa: ANN001
    return " ".join(f"{int(x)},{int(y)}" for x, y in polygon)


def export_tei(document: Document, pages: Sequence[Page] | None = None, layer: Layer | None = None,
               image_url=None) -> bytes:  # noqa: ANN001
    """TEI P5 bytes for the document's pages with each line's current text (or ``layer``'s)."""
    pages = list(pages if pages is not None else document.pages.select_related("image", "document").order_by("order", "id"))
    texts = common.current_line_inscriptions(pages, layer)
    lines_by_page = {p.pk: common.ordered_lines(p) for p in pages}
    line_ids = common.xml_line_ids(pages, lines_by_page)
    agents: dict[str, tuple[str, common.Agent]] = {}
    layers: dict[int, Layer] = {}
    for ins in sorted(texts.values(), key=lambda i: (i.created_at, i.pk)):
        agent = common.agent_of(ins)
        agents.setdefault(agent.key, (f"agent{len(agents) + 1}", agent))
        layers.setdefault(ins.layer_id, ins.layer)

    root = etree.Element(f"{{{NS}}}TEI", nsmap={None: NS})
    if document.language:
        root.set(f"{{{XML_NS}}}lang", document.language)
    header = _el(root, "teiHeader")
    file_desc = _el(header, "fileDesc")
    title_stmt = _el(file_desc, "titleStmt")
    _el(title_stmt, "title", document.title)
    if document.creator:
        _el(title_stmt, "author", document.creator)
    for ident, agent in agents.values():
        resp = _el(title_stmt, "respStmt", xml_id=ident)
        _el(resp, "resp", "automatic transcription" if agent.kind == "model" else "transcription and correction")
        _el(resp, "name", agent.label, type="software" if agent.kind == "model" else "person")
    pub = _el(file_desc, "publicationStmt")
    _el(pub, "publisher", "Palimpsest")
    _el(pub, "date", when=timezone.now().date().isoformat())
    rights = document.rights or document.collection.rights
    if rights:
        _el(_el(pub, "availability"), "licence", rights)
    source = _el(_el(file_desc, "sourceDesc"), "bibl")
    _el(source, "title", document.title)
    if document.creator:
        _el(source, "author", document.creator)
    if document.date:
        _el(source, "date", document.date)
    if document.place:
        _el(source, "pubPlace", document.place)
    if document.source:
        _el(source, "note", document.source, type="source")
    if document.description:
        _el(source, "note", document.description, type="description")
    _el(source, "note", document.collection.title, type="collection")
    models = [(ident, a) for ident, a in agents.values() if a.kind == "model"]
    if models:
        app_info = _el(_el(header, "encodingDesc"), "appInfo")
        for ident, agent in models:
            app = _el(app_info, "application", ident=agent.name, version=agent.version or "0", corresp=f"#{ident}")
            _el(app, "label", agent.label)
            _el(app, "desc", agent.describe())
    if document.language:
        _el(_el(_el(header, "profileDesc"), "langUsage"), "language", document.language, ident=document.language)
    if layers:
        revisions = _el(header, "revisionDesc")
        for lay in layers.values():
            _el(revisions, "change", f"text of layer “{lay.name}” ({lay.get_kind_display()})", when=lay.created_at.date().isoformat())

    facsimile = _el(root, "facsimile")
    for index, page in enumerate(pages, 1):
        surface = _el(facsimile, "surface", xml_id=f"f{index}", ulx=0, uly=0, lrx=page.width, lry=page.height,
                      n=page.label or index)
        _el(surface, "graphic", url=image_url(page) if image_url else (page.original_filename or page.sha256),
            width=f"{page.width}px", height=f"{page.height}px")
        for line in lines_by_page[page.pk]:
            x, y, w, h = line.bbox()
            _el(surface, "zone", xml_id=f"f{index}_{line_ids[line.pk]}", type="line", ulx=x, uly=y, lrx=x + w, lry=y + h,
                points=_points(line.polygon) if len(line.polygon) >= 3 else None)

    body = _el(_el(root, "text"), "body")
    div = _el(body, "div", type="transcription")
    for index, page in enumerate(pages, 1):
        _el(div, "pb", n=page.label or index, facs=f"#f{index}")
        block = _el(div, "ab")
        last = None
        for n, line in enumerate(lines_by_page[page.pk], 1):
            ins = texts.get(line.pk)
            who = f"#{agents[common.agent_of(ins).key][0]}" if ins is not None else None
            lb = _el(block, "lb", n=n, facs=f"#f{index}_{line_ids[line.pk]}", resp=who)
            lb.tail = (ins.text if ins is not None else "") + "\n"
            last = lb
        if last is None:
            block.text = ""
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def validate_tei(data: bytes) -> list[str]:
    """Problems of a TEI export against the shipped RELAX NG (empty when valid)."""
    schema = etree.RelaxNG(etree.parse(str(SCHEMA)))
    doc = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    if schema.validate(doc):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]
