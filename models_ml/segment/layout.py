"""Page layout as plain data: typed regions and lines with polygon, baseline and order.

One structure for ground truth (read from ALTO 4 with SegmOnto ``TAGREFS`` labels) and for
the trained segmenter's output, so metrics, training targets and the CLI's JSON share it.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

# Region classes the segmenter labels; SegmOnto zone labels map onto them.
REGION_TYPES: tuple[str, ...] = ("main", "margin", "heading", "other")
SEGMONTO_TO_TYPE = {
    "MainZone": "main", "MarginTextZone": "margin", "TitlePageZone": "heading", "RunningTitleZone": "heading",
    "NumberingZone": "other", "StampZone": "other", "SealZone": "other", "DamageZone": "other",
    "GraphicZone": "other", "DropCapitalZone": "other", "DigitizationArtefactZone": "other",
    "QuireMarksZone": "other", "MusicZone": "other", "TableZone": "other", "CustomZone": "other",
}
ALTO_NS = "http://www.loc.gov/standards/alto/ns-v4#"

Point = tuple[int, int]


@dataclass
class Line:
    """A text line: ``baseline`` left to right, ``polygon`` around its ink, page pixels."""

    baseline: list[Point]
    polygon: list[Point]
    region: int = -1          # index into PageLayout.regions, -1 when outside any region
    type: str = "default"     # SegmOnto line type, lower-cased without "Line" (default, interlinear, heading)
    order: int = 0
    text: str | None = None


@dataclass
class Region:
    polygon: list[Point]
    type: str = "main"
    order: int = 0


@dataclass
class PageLayout:
    width: int
    height: int
    regions: list[Region] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    image: str | None = None
    # "trained", "classical", or "classical-fallback" (the trained segmenter found no line; the classical one did)
    method: str = "trained"

    def to_json(self) -> dict:
        """The CLI's JSON shape: regions and lines, each with type and reading order."""
        return {
            "image": self.image, "width": self.width, "height": self.height,
            "regions": [{"id": f"r{i}", **{k: (list(map(list, v)) if k == "polygon" else v)
                                           for k, v in asdict(r).items()}} for i, r in enumerate(self.regions)],
            "lines": [{"id": f"l{i}", "region": (f"r{ln.region}" if ln.region >= 0 else None),
                       "region_type": (self.regions[ln.region].type if ln.region >= 0 else None),
                       "type": ln.type, "order": ln.order,
                       "baseline": [list(p) for p in ln.baseline], "polygon": [list(p) for p in ln.polygon]}
                      for i, ln in enumerate(self.lines)],
        }


def _points(text: str | None) -> list[Point]:
    vals = [int(round(float(v))) for v in (text or "").replace(",", " ").split()]
    pts = [(vals[i], vals[i + 1]) for i in range(0, len(vals) - 1, 2)]
    out: list[Point] = []
    for p in pts:  # eScriptorium repeats points; drop consecutive duplicates
        if not out or out[-1] != p:
            out.append(p)
    return out


def read_alto(path: str | Path) -> PageLayout:
    """Regions, lines (baseline, polygon, text) and their document order from an ALTO 4 file."""
    from defusedxml import ElementTree as ET

    try:
        root = ET.parse(str(path)).getroot()
    except ET.ParseError as exc:
        raise ValueError(f"{Path(path).name}: not well-formed XML ({exc})") from exc
    ns = {"a": ALTO_NS} if root.tag.startswith("{" + ALTO_NS) else {"a": root.tag[1:].split("}")[0]}
    tags = {t.get("ID"): t.get("LABEL") or "" for t in root.iterfind(".//a:Tags/*", ns)}
    page = root.find(".//a:Page", ns)
    if page is None:
        raise ValueError(f"{path}: no <Page> element")
    fname = root.find(".//a:sourceImageInformation/a:fileName", ns)
    layout = PageLayout(width=int(float(page.get("WIDTH", 0))), height=int(float(page.get("HEIGHT", 0))),
                        image=fname.text.strip() if fname is not None and fname.text else None)
    for block in page.iterfind(".//a:TextBlock", ns):
        label = " ".join(tags.get(t, "") for t in (block.get("TAGREFS") or "").split())
        rtype = next((SEGMONTO_TO_TYPE[k] for k in SEGMONTO_TO_TYPE if k in label), "main")
        shape = block.find("a:Shape/a:Polygon", ns)
        poly = _points(shape.get("POINTS")) if shape is not None else _box(block)
        layout.regions.append(Region(polygon=poly, type=rtype, order=len(layout.regions)))
        ridx = len(layout.regions) - 1
        for tl in block.iterfind("a:TextLine", ns):
            base = _points(tl.get("BASELINE"))
            if len(base) < 2:
                continue
            if base[0][0] > base[-1][0]:
                base = base[::-1]
            lshape = tl.find("a:Shape/a:Polygon", ns)
            lpoly = _points(lshape.get("POINTS")) if lshape is not None else _box(tl)
            ltag = " ".join(tags.get(t, "") for t in (tl.get("TAGREFS") or "").split())
            ltype = "interlinear" if "Interlinear" in ltag else "heading" if "Heading" in ltag else "default"
            text = " ".join(s.get("CONTENT", "") for s in tl.iterfind("a:String", ns)) or None
            layout.lines.append(Line(baseline=base, polygon=lpoly, region=ridx, type=ltype,
                                     order=len(layout.lines), text=text))
    return layout


def _box(el) -> list[Point]:  # noqa: ANN001 - an ALTO element with HPOS/VPOS/WIDTH/HEIGHT
    x, y = int(float(el.get("HPOS", 0))), int(float(el.get("VPOS", 0)))
    w, h = int(float(el.get("WIDTH", 0))), int(float(el.get("HEIGHT", 0)))
    return [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]


def classical_layout(lines, width: int, height: int) -> PageLayout:  # noqa: ANN001 - list of SegmentedLine
    """The classical segmenter's lines as a PageLayout (one untyped column, no regions)."""
    return PageLayout(width=width, height=height,
                      lines=[Line(baseline=list(ln.baseline), polygon=list(ln.polygon), order=i)
                             for i, ln in enumerate(lines)])
