"""PAGE XML 2019-07-15 export, one file per page (a document is a zip of them, see ``bundles``).

Provenance: ``Metadata/MetadataItem type="processingStep"`` names every agent of the
page (model name, version, sha256, decoder; or the person), and each line's
``TextEquiv`` says which one wrote its text in ``@comments`` and in ``UserDefined``
attributes. ``@conf`` carries confidences; Word/Glyph elements appear when the machine
kept character columns (PAGE requires Coords on them).
"""
from __future__ import annotations

from django.utils import timezone
from lxml import etree

from archive.formats import common
from archive.models import Page
from inscription.models import Inscription, Layer

NS = "http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{NS} {NS}/pagecontent.xsd"


def _el(parent, _tag: str, **attrs) -> etree._Element:
    return common.sub_element(parent, NS, _tag, **attrs)


def _conf(value: float) -> str:
    return f"{min(1.0, max(0.0, value)):.3f}".rstrip("0").rstrip(".")


def _rect(x: int, y: int, w: int, h: int) -> str:
    return common.points_str([[x, y], [x + w, y], [x + w, y + h], [x, y + h]])


def export_page_xml(page: Page, layer: Layer | None = None, page_index: int = 1) -> bytes:
    """PAGE XML bytes for one page with each line's current text and its provenance."""
    texts = common.current_line_inscriptions([page], layer)
    lines = common.ordered_lines(page)
    line_ids = common.xml_line_ids([page], {page.pk: lines})

    root = etree.Element(f"{{{NS}}}PcGts", nsmap={None: NS, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", SCHEMA_LOCATION)
    root.set("pcGtsId", f"pc_p{page_index}")
    meta = _el(root, "Metadata")
    _el(meta, "Creator").text = "Palimpsest"
    dates = sorted(ins.created_at for ins in texts.values()) or [page.created_at]
    _el(meta, "Created").text = dates[0].isoformat()
    _el(meta, "LastChange").text = dates[-1].isoformat()
    _el(meta, "Comments").text = f"{page.document.title} — {page.label or f'page {page_index}'}"
    agents: dict[str, common.Agent] = {}
    for ins in sorted(texts.values(), key=lambda i: (i.created_at, i.pk)):
        agents.setdefault(common.agent_of(ins).key, common.agent_of(ins))
    for agent in agents.values():
        _el(meta, "MetadataItem", type="processingStep" if agent.kind == "model" else "author", name=agent.label, value=agent.describe())

    page_el = _el(
        root, "Page", imageFilename=page.original_filename or page.sha256, imageWidth=page.width, imageHeight=page.height
    )
    groups: list[tuple[object, list]] = []
    for line in lines:
        if not groups or groups[-1][0] != line.region_id:
            groups.append((line.region_id, []))
        groups[-1][1].append(line)
    written = {line.region_id for line in lines}
    empty = {r.pk: r for r in page.regions.order_by("order", "id") if r.pk not in written and len(r.polygon or []) >= 3}
    groups += [(pk, []) for pk in empty]  # regions without lines (margins, stamps) are layout too
    if groups:
        order = _el(_el(page_el, "ReadingOrder"), "OrderedGroup", id=f"ro_p{page_index}", caption="Regions reading order")
        for n in range(len(groups)):
            _el(order, "RegionRefIndexed", index=n, regionRef=f"p{page_index}_r{n + 1}")
    for n, (_region_id, group) in enumerate(groups):
        region = group[0].region if group else empty[_region_id]
        if region is not None and len(region.polygon or []) >= 3:
            region_points = [common.clamp(p, page) for p in region.polygon]
        else:
            region_points = [pt for line in group for pt in common.polygon_of(line, page)]
            x, y, w, h = common.bbox(region_points)
            region_points = [[x, y], [x + w, y], [x + w, y + h], [x, y + h]]
        custom = f"readingOrder {{index:{n};}}" + (f" structure {{type:{region.kind};}}" if region is not None and region.kind else "")
        reg = _el(page_el, "TextRegion", id=f"p{page_index}_r{n + 1}", custom=custom)
        if region is not None and PAGE_TYPES.get(region.kind):
            reg.set("type", PAGE_TYPES[region.kind])
        _el(reg, "Coords", points=common.points_str(region_points))
        for k, line in enumerate(group):
            _write_line(reg, page, line, texts.get(line.pk), line_ids[line.pk], k)
        region_text = "\n".join(texts[line.pk].text for line in group if line.pk in texts)
        _el(_el(reg, "TextEquiv"), "Unicode").text = region_text
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# SegmOnto zones with a PAGE 2019 TextRegion @type of the same meaning (the zone itself is in @custom).
PAGE_TYPES = {"MainZone": "paragraph", "MarginTextZone": "marginalia", "NumberingZone": "page-number",
              "RunningTitleZone": "header", "DropCapitalZone": "drop-capital", "QuireMarksZone": "catch-word",
              "paragraph": "paragraph", "heading": "heading", "marginalia": "marginalia", "header": "header",
              "footer": "footer", "page-number": "page-number", "caption": "caption", "other": "other"}


def _write_line(reg, page: Page, line, ins: Inscription | None, line_id: str, index: int) -> None:
    polygon = common.polygon_of(line, page)
    el = _el(reg, "TextLine", id=line_id, custom=f"readingOrder {{index:{index};}}")
    _el(el, "Coords", points=common.points_str(polygon))
    baseline = common.baseline_of(line, page)
    if baseline:
        _el(el, "Baseline", points=common.points_str(baseline))
    if ins is None:
        return
    box = common.bbox(polygon)
    confs = common.char_confidences(ins)
    spans = common.words_of(ins.text)
    word_boxes = [common.word_box(ins, s, e, box) for s, e in spans]
    if spans and all(word_boxes):
        for n, ((start, end), wbox) in enumerate(zip(spans, word_boxes, strict=True)):
            word = _el(el, "Word", id=f"{line_id}_w{n + 1}")
            _el(word, "Coords", points=_rect(*wbox))
            for c in range(start, end):
                gbox = common.word_box(ins, c, c + 1, box)
                glyph = _el(word, "Glyph", id=f"{line_id}_w{n + 1}_g{c - start + 1}")
                _el(glyph, "Coords", points=_rect(*gbox))
                gequiv = _el(glyph, "TextEquiv", conf=_conf(confs[c]) if confs else None)
                _el(gequiv, "Unicode").text = ins.text[c]
            wequiv = _el(word, "TextEquiv", conf=_conf(sum(confs[start:end]) / (end - start)) if confs else None)
            _el(wequiv, "Unicode").text = ins.text[start:end]
    agent = common.agent_of(ins)
    conf = ins.confidence if ins.confidence is not None else (sum(confs) / len(confs) if confs else None)
    equiv = _el(
        el,
        "TextEquiv",
        conf=_conf(conf) if conf is not None else None,
        dataType="xsd:string",
        dataTypeDetails=f"{agent.kind}-agent",
        comments=f"{agent.describe()}; layer={ins.layer.name}; version={ins.version}; written={ins.created_at.isoformat()}",
    )
    _el(equiv, "Unicode").text = ins.text
    user = _el(el, "UserDefined")
    attrs = {"agent": agent.kind, "layer": ins.layer.name, "version": str(ins.version)}
    if agent.kind == "model":
        attrs.update(model=agent.name, modelVersion=agent.version, sha256=agent.sha256, decoder=agent.decoder)
    else:
        attrs.update(user=agent.username)
    for key, value in attrs.items():
        _el(user, "UserAttribute", name=key, type="xsd:string", value=value)


def now_iso() -> str:
    return timezone.now().isoformat()
