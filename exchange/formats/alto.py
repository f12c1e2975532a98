"""ALTO 4.4 export: one page, or a whole document as one multi-page ALTO file.

Provenance: every distinct agent (model version + decoder, or person) gets one
``Description/Processing`` step (processingSoftware = model name/version, settings =
sha256 + decoder) and one ``Tags/OtherTag``; each TextLine points at both through
PROCESSINGREFS and TAGREFS. Confidences: String/@WC (mean of the word's characters)
and Glyph/@GC per character, from the inscription's char_confidences.
"""
from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from archive.models import Page, Region
from exchange.formats import common, provenance, words
from exchange.formats.parsed import PAGE_ELEMENT_OF_KIND
from inscription.models import Inscription, Layer

NON_TEXT = tuple(PAGE_ELEMENT_OF_KIND)  # region kinds without text (exchange.formats.parsed.NON_TEXT_REGIONS)

NS = "http://www.loc.gov/standards/alto/ns-v4#"
XLINK = "http://www.w3.org/1999/xlink"
WRITER = common.XmlWriter(NS, f"{NS} http://www.loc.gov/standards/alto/v4/alto-4-4.xsd", xlink=XLINK)
_el = WRITER.el
_fmt = common.short_decimal


def export_alto(pages: Sequence[Page], layer: Layer | None = None) -> bytes:
    """ALTO 4.4 bytes for ``pages`` (one Page element each) with each line's current text."""
    pages = list(pages)
    texts, lines_by_page, line_ids = WRITER.page_lines(pages, layer)
    root = WRITER.root("alto")
    root.set("SCHEMAVERSION", "4.4")
    description = _el(root, "Description")
    _el(description, "MeasurementUnit").text = "pixel"
    if len(pages) == 1:
        info = _el(description, "sourceImageInformation")
        _el(info, "fileName").text = pages[0].original_filename or f"{pages[0].sha256}"

    agents: dict[str, tuple[str, common.Agent, str]] = {}  # key -> (processing id, agent, latest date)
    for ins in texts.values():
        agent = common.agent_of(ins)
        if agent.key not in agents:
            agents[agent.key] = (f"agent{len(agents) + 1}", agent, ins.created_at.isoformat())
        elif ins.created_at.isoformat() > agents[agent.key][2]:
            agents[agent.key] = (agents[agent.key][0], agent, ins.created_at.isoformat())
    for ident, agent, when in agents.values():
        steps = agent.steps()
        if steps:  # an imported reading: the file's own processing steps, the reading one referenced by the lines
            for n, step in enumerate(steps):
                _write_step(description, f"proc_{ident}" if n == agent.reading_index() else f"proc_{ident}_{n + 1}", step)
            continue
        proc = _el(description, "Processing", ID=f"proc_{ident}")
        _el(proc, "processingCategory").text = "contentGeneration"
        _el(proc, "processingDateTime").text = when
        if agent.kind == "model":
            _el(proc, "processingStepDescription").text = "handwritten text recognition"
            _el(proc, "processingStepSettings").text = f"sha256={agent.sha256}; decoder={agent.decoder or 'unknown'}"
            software = _el(proc, "processingSoftware")
            _el(software, "softwareCreator").text = "Palimpsest"
            _el(software, "softwareName").text = agent.name
            _el(software, "softwareVersion").text = agent.version
        else:
            _el(proc, "processingAgency").text = agent.username
            _el(proc, "processingStepDescription").text = f"transcribed or corrected by {agent.label}"
            software = _el(proc, "processingSoftware")
            _el(software, "softwareName").text = "Palimpsest"
    kinds = Region.objects.filter(page__in=list(pages)).exclude(kind__in=("", "text", *NON_TEXT)).values_list("kind", flat=True)
    zone_tags = {kind: f"BT{n}" for n, kind in enumerate(sorted(set(kinds)), 1)}
    line_kinds = {line.kind for lines in lines_by_page.values() for line in lines if line.kind}
    line_tags = {kind: f"LT{n}" for n, kind in enumerate(sorted(line_kinds), 1)}
    dc = common.dublin_core(pages[0].document, with_title=False) if pages else []
    if agents or dc or zone_tags or line_tags:
        tags = _el(root, "Tags")
        for n, (term, value) in enumerate(dc, 1):  # the document's Dublin Core (ALTO has no other slot for it)
            _el(tags, "OtherTag", ID=f"dc{n}", TYPE="dublin-core", LABEL=term, DESCRIPTION=value[:2000])
        for ident, agent, _ in agents.values():
            _el(tags, "OtherTag", ID=ident, TYPE=f"{agent.kind}-agent", LABEL=agent.label, DESCRIPTION=agent.describe())
        for kind, ident in zone_tags.items():  # region types (SegmOnto), as eScriptorium writes them
            _el(tags, "OtherTag", ID=ident, LABEL=kind, DESCRIPTION=f"block type {kind}")
        for kind, ident in line_tags.items():  # line types (SegmOnto: DefaultLine, HeadingLine, …)
            _el(tags, "OtherTag", ID=ident, LABEL=kind, DESCRIPTION=f"line type {kind}")

    taken = set(line_ids.values()) | {el.get("ID") for el in root.iter() if el.get("ID")} | {f"page_{i}" for i in range(1, len(pages) + 1)}
    plan = _block_plan(pages, lines_by_page, taken)
    _write_reading_order(root, pages, plan)
    layout = _el(root, "Layout")
    for index, page in enumerate(pages, 1):
        page_el = _el(layout, "Page", ID=f"page_{index}", PHYSICAL_IMG_NR=index, WIDTH=page.width, HEIGHT=page.height)
        if page.label:
            page_el.set("PRINTED_IMG_NR", page.label)
        space = _el(page_el, "PrintSpace", HPOS=0, VPOS=0, WIDTH=page.width, HEIGHT=page.height)
        for block_id, region, lines in plan[page.pk]:
            block = _write_block(space, page, block_id, region, zone_tags, bool(lines))
            for line in lines:
                _write_line(block, page, line, texts.get(line.pk), line_ids[line.pk], agents, line_tags)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _block_plan(pages: Sequence[Page], lines_by_page, used: set[str]) -> dict[int, list[tuple[str, Region | None, list]]]:
    """Per page, its TextBlocks in order: (ID, region, lines). A block keeps its region's original ID when that is a
    valid, unused NCName (so import → export → import is exact), else ``p{page}_block{n}``; regions without lines
    (margins, stamps) come last, as blocks without lines."""
    plan: dict[int, list[tuple[str, Region | None, list]]] = {}
    for index, page in enumerate(pages, 1):
        blocks: list[tuple[str, Region | None, list]] = []
        last = object()
        for line in lines_by_page[page.pk]:
            if not blocks or line.region_id != last:
                last = line.region_id
                blocks.append(("", line.region if line.region_id else None, []))
            blocks[-1][2].append(line)
        written = {line.region_id for line in lines_by_page[page.pk]}
        blocks += [("", r, []) for r in page.regions.order_by("order", "id") if r.pk not in written and len(r.polygon or []) >= 3]
        plan[page.pk] = [(common.unique_id(region.external_id if region is not None else "", f"p{index}_block{n}", used), region, lines)
                         for n, (_, region, lines) in enumerate(blocks, 1)]
    return plan


def _write_block(space, page: Page, block_id: str, region: Region | None, zone_tags: dict[str, str],  # noqa: ANN202
                 has_lines: bool):
    """A TextBlock; a region without text (image, table, separator…) as an Illustration or GraphicalElement."""
    if region is not None and region.kind in NON_TEXT and not has_lines:
        tag = "GraphicalElement" if region.kind == "separator" else "Illustration"
        block = _el(space, tag, ID=block_id, TYPE=region.kind if tag == "Illustration" and region.kind != "image" else None)
    else:
        block = _el(space, "TextBlock", ID=block_id)
    if region is not None and region.kind in zone_tags:
        block.set("TAGREFS", zone_tags[region.kind])
    points = [common.clamp(p, page) for p in region.polygon or []] if region is not None else []
    if len(points) >= 3:
        for attr, value in zip(("HPOS", "VPOS", "WIDTH", "HEIGHT"), common.bbox(points), strict=True):
            block.set(attr, str(value))
        _el(_el(block, "Shape"), "Polygon", POINTS=common.points_str(points))
    return block


def _write_line(block, page: Page, line, ins: Inscription | None, line_id: str, agents, line_tags: dict[str, str]) -> None:
    polygon = common.polygon_of(line, page)
    x, y, w, h = common.bbox(polygon)
    el = _el(block, "TextLine", ID=line_id, HPOS=x, VPOS=y, WIDTH=w, HEIGHT=h)
    baseline = common.baseline_of(line, page)
    if baseline:
        el.set("BASELINE", common.points_str(baseline))
    refs = [line_tags[line.kind]] if line.kind in line_tags else []
    if ins is not None:
        ident = agents[common.agent_of(ins).key][0]
        refs.insert(0, ident)
        el.set("PROCESSINGREFS", f"proc_{ident}")
    if refs:
        el.set("TAGREFS", " ".join(refs))
    _el(_el(el, "Shape"), "Polygon", POINTS=common.points_str(polygon))
    text = ins.text if ins is not None else ""
    found = words.line_words(ins, (x, y, w, h))
    if not found or not words.spaces_only(text, found):
        _el(el, "String", CONTENT=text)
        return
    for n, word in enumerate(found):
        if n:
            _el(el, "SP")  # ALTO allows one SP between Strings: runs of spaces are written as one
        _write_word(el, word, word.external_id if common.NCNAME.match(word.external_id or "") else f"{line_id}_w{n + 1}")


def _write_word(line_el, word: words.Word, ident: str) -> None:
    el = _el(line_el, "String", ID=ident, CONTENT=word.text)
    if word.box:
        for attr, value in zip(("HPOS", "VPOS", "WIDTH", "HEIGHT"), word.box, strict=True):
            el.set(attr, str(value))
    if word.conf is not None:
        el.set("WC", _fmt(min(1.0, max(0.0, float(word.conf)))))
    if word.polygon:
        _el(_el(el, "Shape"), "Polygon", POINTS=common.points_str(word.polygon))
    for alt in word.alternatives:
        alt_el = _el(el, "ALTERNATIVE", PURPOSE=alt.get("purpose"))
        alt_el.text = str(alt.get("text", ""))
    for glyph in word.glyphs:
        g = _el(el, "Glyph", CONTENT=glyph.text)
        if glyph.box:
            for attr, value in zip(("HPOS", "VPOS", "WIDTH", "HEIGHT"), glyph.box, strict=True):
                g.set(attr, str(value))
        if glyph.conf is not None:
            g.set("GC", _fmt(min(1.0, max(0.0, float(glyph.conf)))))
        if glyph.polygon:
            _el(_el(g, "Shape"), "Polygon", POINTS=common.points_str(glyph.polygon))


def _write_step(description, ident: str, step: dict) -> None:
    """One imported processing step, field by field as it was read (``exchange.formats.provenance``)."""
    proc = _el(description, "Processing", ID=ident)
    if step.get("category"):
        _el(proc, "processingCategory").text = step["category"]
    if provenance.parse_date(step.get("date", "")):
        _el(proc, "processingDateTime").text = step["date"]
    for key, tag in (("agency", "processingAgency"), ("description", "processingStepDescription")):
        if step.get(key):
            _el(proc, tag).text = step[key]
    settings = step.get("settings", "")
    if not provenance.parse_date(step.get("date", "")) and step.get("date"):
        settings = "; ".join(t for t in (settings, f"date={step['date']}") if t)
    if settings:
        _el(proc, "processingStepSettings").text = settings
    software = _el(proc, "processingSoftware")
    for key, tag in (("creator", "softwareCreator"), ("software", "softwareName"), ("version", "softwareVersion")):
        if step.get(key):
            _el(software, tag).text = step[key]


def _write_reading_order(root, pages, plan) -> None:
    """ALTO ReadingOrder: one OrderedGroup per page listing its TextBlocks with lines, in reading order."""
    groups = [(index, [block_id for block_id, _, lines in plan[page.pk] if lines]) for index, page in enumerate(pages, 1)]
    groups = [(index, ids) for index, ids in groups if ids]
    if not groups:
        return
    order = _el(root, "ReadingOrder")
    for index, ids in groups:
        group = _el(order, "OrderedGroup", ID=f"ro_p{index}")
        for n, block_id in enumerate(ids, 1):
            _el(group, "ElementRef", ID=f"ro_p{index}_{n}", REF=block_id)
