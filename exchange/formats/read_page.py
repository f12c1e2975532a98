"""PAGE XML (2010–2019) as Transkribus, OCR-D, LAREX and Aletheia write it → one ``ParsedPage``.

Kept: region and line types (``custom="structure {type:…}"``, region @type), element ids,
regions without text (Image, Graphic, Separator, Table... as regions of that kind),
TextRegions (also inside TableRegion cells) and TextLines with Coords (or legacy
``Point`` children) and Baseline, reading order (``ReadingOrder`` then Transkribus
``custom="readingOrder {index:N;}"``), the lowest-index TextEquiv as the text and the
others as alternatives, Words and Glyphs with Coords and confidences, region text with no
lines (as one reading over the region), Metadata provenance. Everything else is counted
in ``not_kept``.
"""
from __future__ import annotations

import re

from lxml import etree

from exchange.formats import custom_tags, provenance
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

READING_ORDER = re.compile(r"readingOrder\s*\{[^}]*index\s*:\s*(\d+)")
CUSTOM_TAG = re.compile(r"(\w+)\s*\{[^}]*\}")
KEPT = {
    "Metadata", "Creator", "Created", "LastChange", "Comments", "MetadataItem", "Labels", "Label", "TranskribusMetadata",
    "Page", "ReadingOrder", "OrderedGroup", "UnorderedGroup", "OrderedGroupIndexed", "UnorderedGroupIndexed",
    "RegionRefIndexed", "RegionRef", "TextRegion", "TextLine", "Coords", "Point", "Baseline", "TextEquiv", "Unicode",
    "Word", "Glyph", *NON_TEXT_REGIONS,
}
THROUGH: dict[str, str] = {}
OUR_USER_ATTRIBUTES = {"agent", "layer", "version", "model", "modelVersion", "sha256", "decoder", "user"}


def read_page(root: etree._Element, source_name: str) -> list[ParsedPage]:
    page_el = child(root, "Page")
    if page_el is None:
        raise InputError(f"{source_name}: the PAGE file has no Page element.", code="bad_page_xml")
    report = NotKept()
    count_unread(root, KEPT, THROUGH, report)
    _count_our_user_defined(root, report)
    meta = child(root, "Metadata")
    steps = provenance.page_steps(meta)
    step = provenance.reading_step(steps)
    software = provenance.software_label(step) if step else ""
    if not software and meta is not None and child(meta, "Creator") is not None:
        software = (child(meta, "Creator").text or "").strip()
    region_order = _region_order(page_el)
    indexed = []
    for doc_pos, reg in enumerate(descendants(page_el, "TextRegion")):
        rid = reg.get("id") or f"r{doc_pos + 1}"
        indexed.append((region_order.get(rid, _custom_index(reg, 10_000 + doc_pos)), doc_pos, rid, reg))
    indexed.sort(key=lambda t: (t[0], t[1]))
    lines: list[ParsedLine] = []
    regions: list[ParsedRegion] = []
    for _, _, rid, reg in indexed:
        polygon = _coords(reg, f"{source_name} {rid}")
        regions.append(ParsedRegion(rid, polygon, _region_type(reg)))
        _count_custom(reg, report)
        line_els = sorted(((_custom_index(tl, 10_000 + i), i, tl) for i, tl in enumerate(children(reg, "TextLine"))),
                          key=lambda t: (t[0], t[1]))
        region_lines = []
        for _, _, tl in line_els:
            _count_custom(tl, report)
            line = _line(tl, rid, f"{source_name} line {tl.get('id') or len(lines) + 1}", report)
            line.kind = _structure_type(tl)
            region_lines.append(line)
        text, conf, alternatives = _text_equiv(reg)
        if not line_els and text and text.strip():
            # Region-level text with no lines: one reading over the whole region.
            region_lines.append(ParsedLine(rid, polygon, [], line_text(text, report), conf, rid, alternatives=alternatives,
                                           region_text=True))
        elif text is not None and text != "\n".join(ln.text for ln in region_lines):
            report.add("TextRegion texts that differ from their lines' text")
        lines.extend(region_lines)
    for pos, el in enumerate(e for e in page_el.iter() if isinstance(e.tag, str) and local(e.tag) in NON_TEXT_REGIONS):
        # image, graphic, separator, table... regions: layout without text, kept as regions of that kind
        rid = el.get("id") or f"{NON_TEXT_REGIONS[local(el.tag)]}{pos + 1}"
        regions.append(ParsedRegion(rid, _coords(el, f"{source_name} {rid}"), NON_TEXT_REGIONS[local(el.tag)]))
        _count_custom(el, report)
        if el.get("type"):
            report.add(f"{local(el.tag)} type attributes")
    width, height = to_float(page_el.get("imageWidth")), to_float(page_el.get("imageHeight"))
    custom = any(READING_ORDER.search(e.get("custom") or "") for e in descendants(page_el, "TextRegion") + descendants(page_el, "TextLine"))
    how = "PAGE ReadingOrder" if region_order else ("Transkribus readingOrder index" if custom else "document order")
    return [ParsedPage(
        "page", source_name, (page_el.get("imageFilename") or "").strip(), int(width) if width else None,
        int(height) if height else None, software, lines, regions, provenance=steps, not_kept=report, reading_order=how,
    )]


def _count_our_user_defined(root: etree._Element, report: NotKept) -> None:
    """Our PAGE export repeats each line's provenance in UserDefined; only foreign UserDefined are not kept."""
    for el in root.iter():
        if isinstance(el.tag, str) and local(el.tag) == "UserDefined":
            names = {a.get("name") for a in children(el, "UserAttribute")}
            if names <= OUR_USER_ATTRIBUTES and names:
                report.counts["UserDefined elements"] -= 1
                if report.counts["UserDefined elements"] <= 0:
                    del report.counts["UserDefined elements"]


STRUCTURE_TYPE = re.compile(r"structure\s*\{[^}]*type\s*:\s*([^;}\s]+)")


def _region_type(el: etree._Element) -> str:
    """Transkribus/eScriptorium write the SegmOnto zone in custom="structure {type:MainZone;}"; else PAGE's @type."""
    return _structure_type(el) or (el.get("type") or "").strip()[:50]


def _structure_type(el: etree._Element) -> str:
    """The type in custom="structure {type:…}" (a region's zone, a line's type such as HeadingLine), else ""."""
    match = STRUCTURE_TYPE.search(el.get("custom") or "")
    return match.group(1)[:50] if match else ""


def _count_custom(el: etree._Element, report: NotKept) -> None:
    """Count the custom tags that are not kept: on lines, span tags become annotations (custom_tags)."""
    span = {t["tag"] for t in custom_tags.parse(el.get("custom") or "")} if local(el.tag) == "TextLine" else set()
    for tag in CUSTOM_TAG.findall(el.get("custom") or ""):
        typed = tag == "structure" and local(el.tag) in ("TextRegion", "TextLine")  # kept as the region's or line's type
        if tag != "readingOrder" and not typed and tag not in span:
            report.add(f"custom '{tag}' tags on {local(el.tag)}")


def _custom_index(el: etree._Element, default: int) -> int:
    match = READING_ORDER.search(el.get("custom") or "")
    return int(match.group(1)) if match else default


def _region_order(page_el: etree._Element) -> dict[str, int]:
    order = child(page_el, "ReadingOrder")
    if order is None:
        return {}
    refs = [el for el in order.iter() if isinstance(el.tag, str) and local(el.tag) in ("RegionRefIndexed", "RegionRef")]
    result = {}
    for pos, ref in enumerate(refs):
        index = ref.get("index")
        result[ref.get("regionRef") or ""] = int(index) if index and index.isdigit() else pos
    return result


def _coords(el: etree._Element, where: str) -> list[list[float]]:
    coords = child(el, "Coords")
    if coords is None:
        return []
    if coords.get("points"):
        return parse_points(coords.get("points"), where)
    return [[float(p.get("x", 0)), float(p.get("y", 0))] for p in children(coords, "Point")]  # PAGE 2010


def _text_equiv(el: etree._Element) -> tuple[str | None, float | None, list[dict]]:
    """The lowest-index TextEquiv (PAGE: the main text) and the others as alternatives."""
    equivs = children(el, "TextEquiv")
    if not equivs:
        return None, None, []

    def index(e):
        raw = e.get("index") or ""
        return int(raw) if raw.lstrip("-").isdigit() else 0

    equivs.sort(key=index)
    out = []
    for e in equivs:
        unicode_el = child(e, "Unicode")
        out.append((unicode_el.text if unicode_el is not None and unicode_el.text is not None else "", to_float(e.get("conf")), e.get("index")))
    alternatives = []
    for text, conf, idx in out[1:]:
        alt = {"text": text}
        if conf is not None:
            alt["conf"] = conf
        if idx is not None:
            alt["index"] = int(idx) if idx.lstrip("-").isdigit() else idx
        alternatives.append(alt)
    return out[0][0], out[0][1], alternatives


def _segment(el: etree._Element, where: str) -> ParsedSegment:
    text, conf, alternatives = _text_equiv(el)
    return ParsedSegment(text or "", 0, _coords(el, where), conf, alternatives, external_id=el.get("id") or "")


def _line(el: etree._Element, region: str, where: str, report: NotKept) -> ParsedLine:
    polygon = _coords(el, where)
    baseline_el = child(el, "Baseline")
    baseline = parse_points(baseline_el.get("points"), where + " Baseline") if baseline_el is not None else []
    text, conf, alternatives = _text_equiv(el)
    word_els = sorted(((_custom_index(w, 10_000 + i), i, w) for i, w in enumerate(children(el, "Word"))), key=lambda t: (t[0], t[1]))
    words = []
    for _, _, w in word_els:
        word = _segment(w, where)
        word.glyphs = [_segment(g, where) for g in children(w, "Glyph")]
        if word.text:
            words.append(word)
    if text is None:
        text = " ".join(w.text for w in words)
    text = line_text(text, report)
    pos, placed = 0, []
    for word in words:
        found = text.find(word.text, pos)
        if found < 0:
            report.add("Word elements whose text is not in their line's text")
            continue
        word.start, pos = found, found + len(word.text)
        gpos = word.start
        for glyph in word.glyphs:
            glyph.start = gpos
            gpos += len(glyph.text)
        placed.append(word)
    for n, word in enumerate(placed, 1):
        drop_default_ids(word, el.get("id") or "", n)
    word_confs = [w.conf for w in placed if w.conf is not None]
    tags = []
    for tag in custom_tags.parse(el.get("custom") or ""):
        if tag["offset"] < 0 or tag["length"] <= 0 or tag["offset"] + tag["length"] > len(text):
            report.add(f"custom '{tag['tag']}' tags outside their line's text")
        else:
            tags.append(tag)
    return ParsedLine(el.get("id") or "", polygon, baseline, text, conf, region, word_confs, placed, alternatives, tags=tags)
