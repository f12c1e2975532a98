"""Reading ALTO and PAGE XML written by other tools (Transkribus, kraken, eScriptorium, OCR-D...).

Both readers return the same neutral ``ParsedPage`` so one service imports them. Quirks
handled: any ALTO (v2-v4) or PAGE (2010-2019) namespace; ALTO points as "x,y x,y" or
"x y x y"; ALTO BASELINE as a point list (4.2+) or a legacy single number (a y
coordinate); measurement units other than pixels (scaled to the image); PAGE legacy
``<Point x y/>`` children; Transkribus ``custom="readingOrder {index:N;}"``; line text from
TextEquiv or, when missing, from its Words.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from archive.formats.xmlsafe import child, children, descendants, local
from palimpsest.errors import InputError

READING_ORDER = re.compile(r"readingOrder\s*\{[^}]*index\s*:\s*(\d+)")


@dataclass
class ParsedLine:
    external_id: str
    polygon: list[list[float]]
    baseline: list[list[float]]
    text: str
    confidence: float | None = None
    region: str = ""
    word_confidences: list[float] = field(default_factory=list)


@dataclass
class ParsedRegion:
    external_id: str
    polygon: list[list[float]]
    kind: str = ""  # SegmOnto zone from ALTO TAGREFS/OtherTag, or PAGE custom "structure {type:…}" / @type


@dataclass
class ParsedPage:
    format: str
    source_name: str
    image_filename: str
    width: int | None
    height: int | None
    software: str
    lines: list[ParsedLine]
    regions: list[ParsedRegion]
    scale: tuple[float, float] = (1.0, 1.0)


def parse_points(value: str | None, where: str) -> list[list[float]]:
    if not value or not value.strip():
        return []
    parts = [p for p in re.split(r"[\s,]+", value.strip()) if p]
    try:
        numbers = [float(p) for p in parts]
    except ValueError as exc:
        raise InputError(f"{where}: points '{value[:80]}' are not numbers.", code="bad_geometry") from exc
    if len(numbers) % 2:
        raise InputError(f"{where}: points '{value[:80]}' have an odd number of coordinates.", code="bad_geometry")
    return [[numbers[i], numbers[i + 1]] for i in range(0, len(numbers), 2)]


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def detect(root: etree._Element) -> str:
    name = local(root.tag)
    if name == "alto":
        return "alto"
    if name == "PcGts":
        return "page"
    raise InputError(f"The XML root is <{name}>; an ALTO (<alto>) or PAGE (<PcGts>) file is expected.", code="not_alto_or_page")


# --- ALTO ------------------------------------------------------------------------------

def read_alto(root: etree._Element, source_name: str) -> list[ParsedPage]:
    description = child(root, "Description")
    unit = "pixel"
    filename = ""
    software = []
    if description is not None:
        unit_el = child(description, "MeasurementUnit")
        unit = (unit_el.text or "pixel").strip() if unit_el is not None else "pixel"
        info = child(description, "sourceImageInformation")
        if info is not None and child(info, "fileName") is not None:
            filename = (child(info, "fileName").text or "").strip()
        for sw in descendants(description, "processingSoftware") + descendants(description, "ocrProcessingStep"):
            name_el = child(sw, "softwareName") if local(sw.tag) == "processingSoftware" else None
            if local(sw.tag) == "ocrProcessingStep":
                inner = child(sw, "processingSoftware")
                name_el = child(inner, "softwareName") if inner is not None else None
                sw = inner if inner is not None else sw
            version_el = child(sw, "softwareVersion")
            if name_el is not None and (name_el.text or "").strip():
                software.append(" ".join(t for t in [(name_el.text or "").strip(), (version_el.text or "").strip() if version_el is not None else ""] if t))
    tag_labels = _alto_tag_labels(root)
    layout = child(root, "Layout")
    pages_el = children(layout, "Page") if layout is not None else []
    if not pages_el:
        raise InputError(f"{source_name}: the ALTO file has no Layout/Page.", code="bad_alto")
    result = []
    for n, page_el in enumerate(pages_el):
        lines: list[ParsedLine] = []
        regions: list[ParsedRegion] = []
        for block in descendants(page_el, "TextBlock"):
            block_id = block.get("ID") or f"block{len(regions) + 1}"
            kind = next((tag_labels[t] for t in (block.get("TAGREFS") or "").split() if t in tag_labels), "")
            regions.append(ParsedRegion(block_id, _alto_polygon(block, f"{source_name} {block_id}"), kind))
            for line_el in children(block, "TextLine"):
                lines.append(_alto_line(line_el, block_id, f"{source_name} line {len(lines) + 1}"))
        width = _float(page_el.get("WIDTH"))
        height = _float(page_el.get("HEIGHT"))
        result.append(
            ParsedPage(
                "alto", source_name, filename if n == 0 else "", int(width) if width else None, int(height) if height else None,
                "; ".join(dict.fromkeys(software)), lines, regions, scale=(1.0, 1.0) if unit == "pixel" else (-1.0, -1.0),
            )
        )
    return result


def _alto_tag_labels(root: etree._Element) -> dict[str, str]:
    """OtherTag ID → LABEL for block types (eScriptorium/SegmOnto: DESCRIPTION "block type MainZone")."""
    tags = child(root, "Tags")
    out = {}
    for tag in children(tags, "OtherTag") if tags is not None else []:
        label, description = (tag.get("LABEL") or "").strip(), (tag.get("DESCRIPTION") or "").lower()
        if tag.get("ID") and label and (description.startswith("block type") or label.endswith("Zone")):
            out[tag.get("ID")] = label[:50]
    return out


def _alto_polygon(el: etree._Element, where: str) -> list[list[float]]:
    shape = child(el, "Shape")
    polygon = child(shape, "Polygon") if shape is not None else None
    if polygon is not None:
        pts = parse_points(polygon.get("POINTS"), where)
        if len(pts) >= 3:
            return pts
    x, y, w, h = (_float(el.get(a)) for a in ("HPOS", "VPOS", "WIDTH", "HEIGHT"))
    if None in (x, y, w, h):
        return []
    return [[x, y], [x + w, y], [x + w, y + h], [x, y + h]]


def _alto_line(el: etree._Element, region: str, where: str) -> ParsedLine:
    polygon = _alto_polygon(el, where)
    raw = (el.get("BASELINE") or "").strip()
    baseline: list[list[float]] = []
    if raw:
        if re.fullmatch(r"[+-]?\d+(\.\d+)?", raw):  # legacy ALTO < 4.2: one number, the baseline's y
            x, w = _float(el.get("HPOS")), _float(el.get("WIDTH"))
            if x is None and polygon:
                x, w = min(p[0] for p in polygon), max(p[0] for p in polygon) - min(p[0] for p in polygon)
            if x is not None and w is not None:
                baseline = [[x, float(raw)], [x + w, float(raw)]]
        else:
            baseline = parse_points(raw, where + " BASELINE")
    words, confs = [], []
    for item in el:
        name = local(item.tag)
        if name == "String":
            words.append(item.get("CONTENT") or "")
            wc = _float(item.get("WC"))
            if wc is not None:
                confs.append(wc)
        elif name == "HYP" and words:
            words[-1] += item.get("CONTENT") or "-"
    text = " ".join(w for w in words if w != "")
    confidence = sum(confs) / len(confs) if confs and len(confs) == len(words) else None
    return ParsedLine(el.get("ID") or "", polygon, baseline, text, confidence, region, confs)


# --- PAGE ------------------------------------------------------------------------------

def read_page(root: etree._Element, source_name: str) -> list[ParsedPage]:
    page_el = child(root, "Page")
    if page_el is None:
        raise InputError(f"{source_name}: the PAGE file has no Page element.", code="bad_page_xml")
    meta = child(root, "Metadata")
    software = ""
    if meta is not None and child(meta, "Creator") is not None:
        software = (child(meta, "Creator").text or "").strip()
    region_order = _page_region_order(page_el)
    regions_el = descendants(page_el, "TextRegion")
    indexed = []
    for doc_pos, reg in enumerate(regions_el):
        rid = reg.get("id") or f"r{doc_pos + 1}"
        indexed.append((region_order.get(rid, _custom_index(reg, 10_000 + doc_pos)), doc_pos, rid, reg))
    indexed.sort(key=lambda t: (t[0], t[1]))
    lines: list[ParsedLine] = []
    regions: list[ParsedRegion] = []
    for _, _, rid, reg in indexed:
        regions.append(ParsedRegion(rid, _page_coords(reg, f"{source_name} {rid}"), _page_region_type(reg)))
        line_els = [(_custom_index(tl, 10_000 + i), i, tl) for i, tl in enumerate(children(reg, "TextLine"))]
        for _, _, tl in sorted(line_els, key=lambda t: (t[0], t[1])):
            lines.append(_page_line(tl, rid, f"{source_name} line {tl.get('id') or len(lines) + 1}"))
    width, height = _float(page_el.get("imageWidth")), _float(page_el.get("imageHeight"))
    return [
        ParsedPage(
            "page", source_name, (page_el.get("imageFilename") or "").strip(), int(width) if width else None,
            int(height) if height else None, software, lines, regions,
        )
    ]


STRUCTURE_TYPE = re.compile(r"structure\s*\{[^}]*type\s*:\s*([^;}\s]+)")


def _page_region_type(el: etree._Element) -> str:
    """Transkribus/eScriptorium write the SegmOnto zone in custom="structure {type:MainZone;}"; else PAGE's @type."""
    match = STRUCTURE_TYPE.search(el.get("custom") or "")
    return (match.group(1) if match else (el.get("type") or "").strip())[:50]


def _custom_index(el: etree._Element, default: int) -> int:
    match = READING_ORDER.search(el.get("custom") or "")
    return int(match.group(1)) if match else default


def _page_region_order(page_el: etree._Element) -> dict[str, int]:
    order = child(page_el, "ReadingOrder")
    if order is None:
        return {}
    refs = [el for el in order.iter() if local(el.tag) in ("RegionRefIndexed", "RegionRef")]
    result = {}
    for pos, ref in enumerate(refs):
        index = ref.get("index")
        result[ref.get("regionRef") or ""] = int(index) if index and index.isdigit() else pos
    return result


def _page_coords(el: etree._Element, where: str) -> list[list[float]]:
    coords = child(el, "Coords")
    if coords is None:
        return []
    if coords.get("points"):
        return parse_points(coords.get("points"), where)
    return [[float(p.get("x", 0)), float(p.get("y", 0))] for p in children(coords, "Point")]  # PAGE 2010


def _text_equiv(el: etree._Element) -> tuple[str | None, float | None]:
    equivs = children(el, "TextEquiv")
    if not equivs:
        return None, None
    equivs.sort(key=lambda e: int(e.get("index")) if (e.get("index") or "").lstrip("-").isdigit() else 0)
    unicode_el = child(equivs[0], "Unicode")
    text = unicode_el.text if unicode_el is not None and unicode_el.text is not None else ""
    return text, _float(equivs[0].get("conf"))


def _page_line(el: etree._Element, region: str, where: str) -> ParsedLine:
    polygon = _page_coords(el, where)
    baseline_el = child(el, "Baseline")
    baseline = parse_points(baseline_el.get("points"), where + " Baseline") if baseline_el is not None else []
    text, conf = _text_equiv(el)
    word_confs = []
    if text is None:
        words = []
        for word in children(el, "Word"):
            wtext, wconf = _text_equiv(word)
            if wtext:
                words.append(wtext)
            if wconf is not None:
                word_confs.append(wconf)
        text = " ".join(words)
    return ParsedLine(el.get("id") or "", polygon, baseline, text.replace("\n", " ").strip(), conf, region, word_confs)


def read(data_root: etree._Element, source_name: str) -> list[ParsedPage]:
    kind = detect(data_root)
    return read_alto(data_root, source_name) if kind == "alto" else read_page(data_root, source_name)
