"""ALTO v2–v4 as kraken/eScriptorium, Tesseract, ABBYY and OCR-D write it → ``ParsedPage`` per ``Page``.

Kept: block and line types (TAGREFS to OtherTags, SegmOnto), element IDs, Illustrations and GraphicalElements (as
image/graphic/table… and separator regions), geometry (Shape/Polygon or HPOS/VPOS/WIDTH/HEIGHT, BASELINE as points or the legacy
number), text from String/SP/HYP (one space per SP, so spacing survives a round trip),
words with their geometry, WC, ALTERNATIVEs and Glyphs (GC), ReadingOrder, processing
steps. Everything else is counted in the page's ``not_kept``.
"""
from __future__ import annotations

import re

from lxml import etree

from exchange.formats import provenance
from exchange.formats.parsed import (
    NON_TEXT_REGIONS,
    NotKept,
    ParsedLine,
    ParsedPage,
    ParsedRegion,
    ParsedSegment,
    count_unread,
    drop_default_ids,
    line_text,
    parse_points,
    to_float,
)
from exchange.formats.xmlsafe import child, children, descendants, local
from palimpsest.errors import InputError

KEPT = {
    "Description", "MeasurementUnit", "sourceImageInformation", "fileName", "OCRProcessing", "Processing",
    "ocrProcessingStep", "preProcessingStep", "postProcessingStep", "processingDateTime", "processingAgency",
    "processingStepDescription", "processingStepSettings", "processingSoftware", "softwareCreator", "softwareName",
    "softwareVersion", "applicationDescription", "processingCategory", "Layout", "Page", "PrintSpace", "TopMargin",
    "LeftMargin", "RightMargin", "BottomMargin", "TextBlock", "TextLine", "String", "SP", "HYP", "Shape", "Polygon",
    "ReadingOrder", "OrderedGroup", "UnorderedGroup", "ElementRef", "ALTERNATIVE", "Glyph", "Illustration", "GraphicalElement",
}
ILLUSTRATION_KINDS = set(NON_TEXT_REGIONS.values()) - {"separator"}
THROUGH = {"ComposedBlock": "their text blocks are kept"}
AGENT_TAG = re.compile(r"^(model|human)-agent$")


def read_alto(root: etree._Element, source_name: str) -> list[ParsedPage]:
    description = child(root, "Description")
    unit, filename = "pixel", ""
    if description is not None:
        unit_el = child(description, "MeasurementUnit")
        unit = (unit_el.text or "pixel").strip() if unit_el is not None else "pixel"
        info = child(description, "sourceImageInformation")
        if info is not None and child(info, "fileName") is not None:
            filename = (child(info, "fileName").text or "").strip()
    steps = provenance.alto_steps(description)
    software = "; ".join(dict.fromkeys(provenance.software_label(s) for s in steps if s.get("software"))) if steps else ""
    layout = child(root, "Layout")
    pages_el = children(layout, "Page") if layout is not None else []
    if not pages_el:
        raise InputError(f"{source_name}: the ALTO file has no Layout/Page.", code="bad_alto")
    file_report = NotKept()
    count_unread(root, KEPT, THROUGH, file_report, skip={"Layout", "Tags", "ReadingOrder"})
    zones, line_types = _zone_labels(root)
    agent_tags, other_tags = _tags(root, file_report, zones | line_types)
    order = _reading_order(root)
    result = []
    for n, page_el in enumerate(pages_el):
        report = NotKept()
        if n == 0:
            report.merge(file_report)
        count_unread(page_el, KEPT, THROUGH, report)
        blocks = [(b, b.get("ID") or f"block{i + 1}", i) for i, b in enumerate(descendants(page_el, "TextBlock"))]
        if order:
            blocks.sort(key=lambda t: _block_rank(t[0], t[1], t[2], order))
        lines: list[ParsedLine] = []
        regions: list[ParsedRegion] = []
        for block, block_id, _ in blocks:
            kind = next((zones[t] for t in (block.get("TAGREFS") or "").split() if t in zones), "")
            regions.append(ParsedRegion(block_id, _polygon(block, f"{source_name} {block_id}"), kind))
            _count_tagrefs(block, other_tags - set(zones), report)
            line_els = children(block, "TextLine")
            if order:
                line_els = [el for _, _, el in sorted((order.get(el.get("ID") or "", 10**6 + i), i, el) for i, el in enumerate(line_els))]
            for line_el in line_els:
                _count_tagrefs(line_el, other_tags - set(line_types), report)
                line = _line(line_el, block_id, f"{source_name} line {len(lines) + 1}", report)
                line.kind = next((line_types[t] for t in (line_el.get("TAGREFS") or "").split() if t in line_types), "")
                lines.append(line)
        regions += _non_text_regions(page_el, source_name, report)
        width, height = to_float(page_el.get("WIDTH")), to_float(page_el.get("HEIGHT"))
        result.append(ParsedPage(
            "alto", source_name, filename if n == 0 else "", int(width) if width else None, int(height) if height else None,
            software, lines, regions, scale=(1.0, 1.0) if unit == "pixel" else (-1.0, -1.0), provenance=steps,
            not_kept=report, reading_order="ALTO ReadingOrder" if order else "document order", page_number=n + 1,
        ))
    return result


def _non_text_regions(page_el: etree._Element, source_name: str, report: NotKept) -> list[ParsedRegion]:
    """Illustrations (kind "image", or their TYPE when it names one: table, graphic, chart…) and GraphicalElements
    (separators): layout without text, kept as regions of that kind."""
    out = []
    for n, el in enumerate(e for e in page_el.iter() if isinstance(e.tag, str) and local(e.tag) in ("Illustration", "GraphicalElement")):
        ident = el.get("ID") or f"graphic{n + 1}"
        if local(el.tag) == "GraphicalElement":
            kind = "separator"
        else:
            declared = (el.get("TYPE") or "").strip()
            kind = declared.lower() if declared.lower() in ILLUSTRATION_KINDS else "image"
            if declared and declared.lower() not in ILLUSTRATION_KINDS:
                report.add("Illustration TYPE attributes")
        out.append(ParsedRegion(ident, _polygon(el, f"{source_name} {ident}"), kind))
    return out


def _zone_labels(root: etree._Element) -> tuple[dict[str, str], dict[str, str]]:
    """OtherTag ID → LABEL of block types and of line types (SegmOnto; eScriptorium writes DESCRIPTION "block type …"
    and "line type …", labels such as MainZone and DefaultLine)."""
    tags = child(root, "Tags")
    zones, line_types = {}, {}
    for tag in children(tags, "OtherTag") if tags is not None else []:
        label, description = (tag.get("LABEL") or "").strip(), (tag.get("DESCRIPTION") or "").lower()
        if not tag.get("ID") or not label:
            continue
        if description.startswith("block type") or (label.endswith("Zone") and not description.startswith("line type")):
            zones[tag.get("ID")] = label[:50]
        elif description.startswith("line type") or label.endswith("Line"):
            line_types[tag.get("ID")] = label[:50]
    return zones, line_types


def _tags(root: etree._Element, report: NotKept, zones: dict[str, str]) -> tuple[set[str], set[str]]:
    """IDs of our own agent tags (provenance, kept through Processing) and of every other tag (``zones``: the block
    and line types, kept as region and line types; the rest is not kept)."""
    tags = child(root, "Tags")
    agent, other = set(), set()
    if tags is None:
        return agent, other
    for tag in tags:
        if not isinstance(tag.tag, str):
            continue
        if AGENT_TAG.match(tag.get("TYPE") or ""):
            agent.add(tag.get("ID") or "")
        else:
            other.add(tag.get("ID") or "")
            if (tag.get("TYPE") or "") == "dublin-core":  # a document's metadata, as our exports write it
                report.add(f"Tags/{local(tag.tag)} elements (Dublin Core of the exported document)")
            elif tag.get("ID") not in zones:  # block and line types are kept as region and line types
                report.add(f"Tags/{local(tag.tag)} elements (types)")
    return agent, other


def _count_tagrefs(el: etree._Element, other_tags: set[str], report: NotKept) -> None:
    refs = [r for r in (el.get("TAGREFS") or "").split() if r in other_tags]
    if refs:
        report.add(f"TAGREFS on {local(el.tag)} (types)")


def _reading_order(root: etree._Element) -> dict[str, int]:
    """ALTO ``ReadingOrder``: element ID → position, groups flattened depth-first (Ordered and Unordered alike)."""
    ro = child(root, "ReadingOrder")
    if ro is None:
        return {}
    order: dict[str, int] = {}
    for el in ro.iter():
        if isinstance(el.tag, str) and local(el.tag) == "ElementRef" and el.get("REF"):
            order.setdefault(el.get("REF"), len(order))
    return order


def _block_rank(block: etree._Element, block_id: str, doc_pos: int, order: dict[str, int]) -> tuple[int, int]:
    ranks = [order[block_id]] if block_id in order else []
    ranks += [order[ln.get("ID")] for ln in children(block, "TextLine") if ln.get("ID") in order]
    return (min(ranks) if ranks else 10**6 + doc_pos, doc_pos)


def _polygon(el: etree._Element, where: str) -> list[list[float]]:
    shape = child(el, "Shape")
    polygon = child(shape, "Polygon") if shape is not None else None
    if polygon is not None:
        pts = parse_points(polygon.get("POINTS"), where)
        if len(pts) >= 3:
            return pts
    x, y, w, h = (to_float(el.get(a)) for a in ("HPOS", "VPOS", "WIDTH", "HEIGHT"))
    if None in (x, y, w, h):
        return []
    return [[x, y], [x + w, y], [x + w, y + h], [x, y + h]]


def _baseline(el: etree._Element, polygon, where: str) -> list[list[float]]:
    raw = (el.get("BASELINE") or "").strip()
    if not raw:
        return []
    if re.fullmatch(r"[+-]?\d+(\.\d+)?", raw):  # legacy ALTO < 4.2: one number, the baseline's y
        x, w = to_float(el.get("HPOS")), to_float(el.get("WIDTH"))
        if x is None and polygon:
            x, w = min(p[0] for p in polygon), max(p[0] for p in polygon) - min(p[0] for p in polygon)
        return [[x, float(raw)], [x + w, float(raw)]] if x is not None and w is not None else []
    return parse_points(raw, where + " BASELINE")


def _word(item: etree._Element, start: int, where: str, report: NotKept) -> ParsedSegment:
    word = ParsedSegment(item.get("CONTENT") or "", start, _polygon(item, where), to_float(item.get("WC")),
                         external_id=item.get("ID") or "")
    for alt in children(item, "ALTERNATIVE"):
        entry = {"text": alt.text or ""}
        if alt.get("PURPOSE"):
            entry["purpose"] = alt.get("PURPOSE")
        word.alternatives.append(entry)
    pos = start
    for glyph in children(item, "Glyph"):
        content = glyph.get("CONTENT") or ""
        word.glyphs.append(ParsedSegment(content, pos, _polygon(glyph, where), to_float(glyph.get("GC"))))
        pos += len(content)
    for attr in ("STYLE", "STYLEREFS", "SUBS_CONTENT", "CC"):
        if item.get(attr):
            report.add(f"String {attr} attributes")
    return word


def _line(el: etree._Element, region: str, where: str, report: NotKept) -> ParsedLine:
    polygon = _polygon(el, where)
    baseline = _baseline(el, polygon, where)
    raw, words, spaces, started = "", [], 0, False
    for item in el:
        if not isinstance(item.tag, str):
            continue
        name = local(item.tag)
        if name == "SP":
            spaces = 1  # ALTO allows one SP between Strings: a space, whatever its WIDTH
        elif name == "String":
            content = item.get("CONTENT") or ""
            if content == "":
                continue
            if started or spaces:
                raw += " "
            words.append(_word(item, len(raw), where, report))
            raw += content
            spaces, started = 0, True
        elif name == "HYP" and words:
            hyphen = item.get("CONTENT") or "-"
            words[-1].text += hyphen
            raw += hyphen
    raw += " " * spaces
    text = line_text(raw, report)
    line_id = el.get("ID") or ""
    for n, word in enumerate(words, 1):
        drop_default_ids(word, line_id, n)
    shift = len(raw) - len(raw.lstrip(" \t\r\n"))
    for word in words:
        word.start -= shift
        for glyph in word.glyphs:
            glyph.start -= shift
    confs = [w.conf for w in words if w.conf is not None]
    confidence = sum(confs) / len(confs) if confs and len(confs) == len(words) else None
    return ParsedLine(el.get("ID") or "", polygon, baseline, text, confidence, region, confs, words)
