"""PAGE XML 2019-07-15 export, one file per page (a document is a zip of them, see ``bundles``).

Types and ids: regions and lines keep the ids they were imported with; region types go in ``@type``
(where PAGE has one) and ``custom="structure {type:…}"``, line types in the line's ``custom``.

Provenance: ``Metadata/MetadataItem type="processingStep"`` names every agent of the
page (model name, version, sha256, decoder; or the person), and each line's
``TextEquiv`` says which one wrote its text in ``@comments`` and in ``UserDefined``
attributes. ``@conf`` carries confidences; Word/Glyph elements appear when the machine
kept character columns (PAGE requires Coords on them).
"""
from __future__ import annotations

from django.utils import timezone
from lxml import etree

from archive.models import Page
from exchange.formats import common, custom_tags, provenance, words
from exchange.formats.parsed import PAGE_ELEMENT_OF_KIND
from inscription.models import Inscription, Layer

NS = "http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"
WRITER = common.XmlWriter(NS, f"{NS} {NS}/pagecontent.xsd")
_el = WRITER.el


def _conf(value: float) -> str:
    return common.short_decimal(value, 0.0, 1.0)


def _rect(x: int, y: int, w: int, h: int) -> str:
    return common.points_str([[x, y], [x + w, y], [x + w, y + h], [x, y + h]])


def export_page_xml(page: Page, layer: Layer | None = None, page_index: int = 1) -> bytes:
    """PAGE XML bytes for one page with each line's current text and its provenance."""
    texts, lines_by_page, line_ids = WRITER.page_lines([page], layer)
    lines = lines_by_page[page.pk]
    root = WRITER.root("PcGts")
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
        if agent.kind != "model":
            _el(meta, "MetadataItem", type="author", name=agent.label, value=agent.describe())
            continue
        steps = agent.steps() or [{"software": agent.name, "version": agent.version, "creator": "Palimpsest",
                                   "description": "recognition/text-recognition",
                                   "settings": f"sha256={agent.sha256}; decoder={agent.decoder or 'unknown'}"}]
        for step in steps:
            _write_step(meta, step)
    for term, value in common.dublin_core(page.document, with_title=False):  # the document's Dublin Core
        _el(meta, "MetadataItem", type="other", name=term, value=value[:2000])

    page_el = _el(
        root, "Page", imageFilename=page.original_filename or page.sha256, imageWidth=page.width, imageHeight=page.height
    )
    used = set(line_ids.values())
    groups: list[tuple[object, list]] = []
    for line in lines:
        if not groups or groups[-1][0] != line.region_id:
            groups.append((line.region_id, []))
        groups[-1][1].append(line)
    region_ids = []
    for n, (_region_id, group) in enumerate(groups):
        # text read on a region with no lines keeps that region's id (it is the line's external id)
        alone = len(group) == 1 and group[0].pk in texts and (texts[group[0].pk].extra or {}).get("region_text")
        if alone:
            used.discard(line_ids[group[0].pk])
        own = group[0].region.external_id if group[0].region is not None else ""
        region_ids.append(common.unique_id(group[0].external_id if alone else own, f"p{page_index}_r{n + 1}", used))
    if groups:
        order = _el(_el(page_el, "ReadingOrder"), "OrderedGroup", id=f"ro_p{page_index}", caption="Regions reading order")
        for n in range(len(groups)):
            _el(order, "RegionRefIndexed", index=n, regionRef=region_ids[n])
    for n, (_region_id, group) in enumerate(groups):
        region = group[0].region
        if region is not None and len(region.polygon or []) >= 3:
            region_points = [common.clamp(p, page) for p in region.polygon]
        else:
            region_points = [pt for line in group for pt in common.polygon_of(line, page)]
            x, y, w, h = common.bbox(region_points)
            region_points = [[x, y], [x + w, y], [x + w, y + h], [x, y + h]]
        region_only = [ln for ln in group if ln.pk in texts and (texts[ln.pk].extra or {}).get("region_text")]
        region_id = region_ids[n]
        reg = _el(page_el, "TextRegion", id=region_id, custom=f"readingOrder {{index:{n};}}" + _structure(region))
        if region is not None and PAGE_TYPES.get(region.kind):
            reg.set("type", PAGE_TYPES[region.kind])
        _el(reg, "Coords", points=common.points_str(region_points))
        if len(group) == 1 and region_only:  # text read on a region with no lines goes back onto the region
            ins = texts[group[0].pk]
            _write_equivs(reg, ins.text, ins.confidence, (ins.extra or {}).get("alternatives") or [])
            continue
        for k, line in enumerate(group):
            _write_line(reg, page, line, texts.get(line.pk), line_ids[line.pk], k, used)
        region_text = "\n".join(texts[line.pk].text for line in group if line.pk in texts)
        _el(_el(reg, "TextEquiv"), "Unicode").text = region_text
    written = {region_id for region_id, _ in groups}
    for k, region in enumerate(r for r in page.regions.order_by("order", "id") if r.pk not in written):
        if len(region.polygon or []) < 3:  # regions without lines (margins, stamps) are layout too
            continue
        ident = common.unique_id(region.external_id, f"p{page_index}_e{k + 1}", used)
        if region.kind in PAGE_ELEMENT_OF_KIND:  # image, graphic, separator, table...: the element it was read from
            reg = _el(page_el, PAGE_ELEMENT_OF_KIND[region.kind], id=ident)
        else:
            reg = _el(page_el, "TextRegion", id=ident, custom=_structure(region).strip())
        if region.kind not in PAGE_ELEMENT_OF_KIND and PAGE_TYPES.get(region.kind):
            reg.set("type", PAGE_TYPES[region.kind])
        _el(reg, "Coords", points=common.points_str([common.clamp(p, page) for p in region.polygon]))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# SegmOnto zones with a PAGE 2019 TextRegion @type of the same meaning (the zone itself goes in @custom).
PAGE_TYPES = {"MainZone": "paragraph", "MarginTextZone": "marginalia", "NumberingZone": "page-number",
              "RunningTitleZone": "header", "DropCapitalZone": "drop-capital", "QuireMarksZone": "catch-word",
              "paragraph": "paragraph", "heading": "heading", "marginalia": "marginalia", "header": "header",
              "footer": "footer", "page-number": "page-number", "caption": "caption", "other": "other"}


def _structure(region) -> str:  # noqa: ANN001
    """Transkribus/eScriptorium's region type: `` structure {type:MainZone;}`` (none for the default "text")."""
    return f" structure {{type:{region.kind};}}" if region is not None and region.kind not in ("", "text") else ""


def _write_line(reg, page: Page, line, ins: Inscription | None, line_id: str, index: int, used: set[str]) -> None:
    polygon = common.polygon_of(line, page)
    tags = custom_tags.write(custom_tags.tags_of(ins)) if ins is not None else ""
    structure = f"structure {{type:{line.kind};}}" if line.kind else ""  # the line type, as Transkribus writes it
    el = _el(reg, "TextLine", id=line_id, custom=" ".join(t for t in (f"readingOrder {{index:{index};}}", structure, tags) if t))
    _el(el, "Coords", points=common.points_str(polygon))
    baseline = common.baseline_of(line, page)
    if baseline:
        _el(el, "Baseline", points=common.points_str(baseline))
    if ins is None:
        return
    found = words.line_words(ins, common.bbox(polygon))
    if found and all(w.box for w in found):
        for n, word in enumerate(found):
            _write_word(el, word, common.unique_id(word.external_id, f"{line_id}_w{n + 1}", used), used)
    confs = common.char_confidences(ins)
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
    _write_equivs(el, None, None, (ins.extra or {}).get("alternatives") or [])
    user = _el(el, "UserDefined")
    attrs = {"agent": agent.kind, "layer": ins.layer.name, "version": str(ins.version)}
    if agent.kind == "model":
        attrs.update(model=agent.name, modelVersion=agent.version, sha256=agent.sha256, decoder=agent.decoder)
    else:
        attrs.update(user=agent.username)
    for key, value in attrs.items():
        _el(user, "UserAttribute", name=key, type="xsd:string", value=value)


def _write_equivs(el, text: str | None, conf: float | None, alternatives: list[dict]) -> None:
    """The main TextEquiv (when ``text`` is given) and the alternatives, each with the index it was read with."""
    if text is not None:
        _el(_el(el, "TextEquiv", conf=_conf(conf) if conf is not None else None), "Unicode").text = text
    for n, alt in enumerate(alternatives, 1):
        index = alt.get("index", n)
        equiv = _el(el, "TextEquiv", index=index if isinstance(index, int) and index >= 0 else n,
                    conf=_conf(alt["conf"]) if isinstance(alt.get("conf"), int | float) else None)
        _el(equiv, "Unicode").text = str(alt.get("text", ""))


def _write_word(line_el, word: words.Word, ident: str, used: set[str]) -> None:
    el = _el(line_el, "Word", id=ident)
    _el(el, "Coords", points=common.points_str(word.polygon) if word.polygon else _rect(*word.box))
    if all(g.box for g in word.glyphs):
        for k, glyph in enumerate(word.glyphs, 1):
            g = _el(el, "Glyph", id=common.unique_id(glyph.external_id, f"{ident}_g{k}", used))
            _el(g, "Coords", points=common.points_str(glyph.polygon) if glyph.polygon else _rect(*glyph.box))
            _write_equivs(g, glyph.text, glyph.conf, glyph.alternatives)
    _write_equivs(el, word.text, word.conf, word.alternatives)


def _write_step(meta, step: dict) -> None:
    """One processing step as OCR-D writes it: value = software, name = what it did, the rest as Labels."""
    item = _el(meta, "MetadataItem", type="processingStep", name=step.get("description") or None,
               value=step.get("software", "") or "unknown")
    fields = [(k, step[k]) for k in provenance.STEP_FIELDS if k not in ("software", "description") and step.get(k)]
    if fields:
        labels = _el(item, "Labels", externalId="provenance")
        for key, value in fields:
            _el(labels, "Label", type=key, value=value)
    grouped: dict[str, list[tuple[str, str]]] = {}
    for key, value in (step.get("labels") or {}).items():
        ext, _, kind = key.rpartition(":")
        grouped.setdefault(ext, []).append((kind, value))
    for ext, items in grouped.items():
        labels = _el(item, "Labels", externalId=ext or None)
        for kind, value in items:
            _el(labels, "Label", type=kind, value=value)
    if step.get("transkribus"):
        labels = _el(item, "Labels", externalId=provenance.TRANSKRIBUS)
        for kind, value in step["transkribus"].items():
            _el(labels, "Label", type=kind, value=value)


def now_iso() -> str:
    return timezone.now().isoformat()
