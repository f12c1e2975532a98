"""Training lines from ALTO and PAGE ground truth, as kraken's ``ketos train -f alto|page`` reads them.

Each line is cropped from its page by its polygon: the crop is the polygon's bounding box
(a little padding), and whatever lies outside the polygon is painted with the page's paper
tone, so strokes of the neighbouring lines do not leak into the crop. Where a line has a
baseline but no polygon, a band around the baseline stands in for it. Texts are NFC.

A file is refused whole, with a message naming it, when its image is missing or one of its
polygons lies outside the image: a half-read page would train on the wrong crops silently.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp")
# A polygon may overhang the image by this much (pixels, or this fraction of the side) before
# the file is refused; eScriptorium and Transkribus both write points a pixel or two outside.
OVERHANG_PX = 3
OVERHANG_FRACTION = 0.01


class GroundTruthError(ValueError):
    """A ground-truth file that cannot be used as it is (the message says why)."""


@dataclass
class GTLine:
    """One transcribed line of a ground-truth page."""

    line_id: str
    text: str
    polygon: list[tuple[float, float]]
    baseline: list[tuple[float, float]] = field(default_factory=list)
    region_type: str | None = None
    line_type: str | None = None


@dataclass
class GTPage:
    """A ground-truth file: its image and its lines in reading order."""

    source: Path
    image_path: Path
    width: int
    height: int
    lines: list[GTLine]


def normalise_gt_text(text: str) -> str:
    """NFC, single spaces, no leading or trailing space."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def _points(raw: str | None) -> list[tuple[float, float]]:
    """``"x y x y"`` (ALTO) or ``"x,y x,y"`` (PAGE) → [(x, y), ...]."""
    if not raw or not raw.strip():
        return []
    nums = [float(v) for v in re.split(r"[\s,]+", raw.strip()) if v]
    if len(nums) % 2:
        raise GroundTruthError(f"odd number of coordinates in {raw[:40]!r}")
    return list(zip(nums[0::2], nums[1::2], strict=True))


def _parse(path: Path):  # noqa: ANN202 - lxml element
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        return etree.parse(str(path), parser).getroot()
    except etree.XMLSyntaxError as exc:
        raise GroundTruthError(f"{path.name}: not well-formed XML ({exc})") from exc


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1]


def _children(el, name: str) -> list:  # noqa: ANN001
    return [c for c in el if _local(c.tag) == name]


def _find_image(source: Path, name: str | None) -> Path:
    candidates = []
    if name:
        candidates.append(source.parent / Path(name).name)
    candidates += [source.with_suffix(s) for s in IMAGE_SUFFIXES]
    for c in candidates:
        if c.is_file():
            return c
    raise GroundTruthError(f"{source.name}: image not found (looked for {', '.join(c.name for c in candidates[:3])}…)")


def read_alto(path: Path) -> GTPage:
    """ALTO 2–4: TextLine polygons (Shape/Polygon), BASELINE, String CONTENT; TAGREFS types."""
    root = _parse(path)
    if _local(root.tag) != "alto":
        raise GroundTruthError(f"{path.name}: not an ALTO file (root <{_local(root.tag)}>)")
    tags = {el.get("ID"): el.get("LABEL") for el in root.iter() if _local(el.tag) == "OtherTag"}
    file_name = next((el.text for el in root.iter() if _local(el.tag) == "fileName" and el.text), None)
    pages = [el for el in root.iter() if _local(el.tag) == "Page"]
    if not pages:
        raise GroundTruthError(f"{path.name}: no <Page>")
    page = pages[0]
    width, height = int(float(page.get("WIDTH", 0))), int(float(page.get("HEIGHT", 0)))
    lines: list[GTLine] = []
    for block in page.iter():
        if _local(block.tag) != "TextBlock":
            continue
        rtype = tags.get((block.get("TAGREFS") or "").split(" ")[0])
        for tl in _children(block, "TextLine"):
            words = [s.get("CONTENT", "") for s in tl.iter() if _local(s.tag) == "String"]
            text = normalise_gt_text(" ".join(words))
            poly = next((_points(p.get("POINTS")) for p in tl.iter() if _local(p.tag) == "Polygon"), [])
            if not poly and tl.get("HPOS") is not None:
                x, y = float(tl.get("HPOS")), float(tl.get("VPOS"))
                w, h = float(tl.get("WIDTH")), float(tl.get("HEIGHT"))
                poly = [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]
            lines.append(GTLine(tl.get("ID", f"l{len(lines)}"), text, poly, _points(tl.get("BASELINE")),
                                rtype, tags.get((tl.get("TAGREFS") or "").split(" ")[0])))
    return GTPage(path, _find_image(path, file_name), width, height, lines)


def read_page(path: Path) -> GTPage:
    """PAGE 2013/2019: TextLine Coords and Baseline points, TextEquiv/Unicode (index 0 or first)."""
    root = _parse(path)
    if _local(root.tag) != "PcGts":
        raise GroundTruthError(f"{path.name}: not a PAGE file (root <{_local(root.tag)}>)")
    page = next((el for el in root.iter() if _local(el.tag) == "Page"), None)
    if page is None:
        raise GroundTruthError(f"{path.name}: no <Page>")
    width, height = int(float(page.get("imageWidth", 0))), int(float(page.get("imageHeight", 0)))
    lines: list[GTLine] = []
    for region in page.iter():
        if _local(region.tag) != "TextRegion":
            continue
        rtype = region.get("type")
        for tl in _children(region, "TextLine"):
            equivs = _children(tl, "TextEquiv")
            equivs.sort(key=lambda e: int(e.get("index", 0) or 0))
            unicode_el = next((u for e in equivs[:1] for u in e if _local(u.tag) == "Unicode"), None)
            text = normalise_gt_text(unicode_el.text or "" if unicode_el is not None else "")
            coords = next((c for c in _children(tl, "Coords")), None)
            base = next((b for b in _children(tl, "Baseline")), None)
            lines.append(GTLine(tl.get("id", f"l{len(lines)}"),
                                text, _points(coords.get("points")) if coords is not None else [],
                                _points(base.get("points")) if base is not None else [], rtype, None))
    return GTPage(path, _find_image(path, page.get("imageFilename")), width, height, lines)


def read_ground_truth(path: str | Path) -> GTPage:
    """An ALTO or PAGE file, told apart by its root element."""
    path = Path(path)
    if not path.is_file():
        raise GroundTruthError(f"{path}: no such file")
    head = path.read_bytes()[:4096]
    if b"PcGts" in head:
        return read_page(path)
    return read_alto(path)


def _check_inside(page: GTPage, line: GTLine, img_w: int, img_h: int) -> None:
    tol_x = max(OVERHANG_PX, OVERHANG_FRACTION * img_w)
    tol_y = max(OVERHANG_PX, OVERHANG_FRACTION * img_h)
    for x, y in line.polygon + line.baseline:
        if x < -tol_x or y < -tol_y or x > img_w + tol_x or y > img_h + tol_y:
            raise GroundTruthError(
                f"{page.source.name}: line {line.line_id} has a point ({x:g}, {y:g}) outside the "
                f"{img_w}×{img_h} image")


def baseline_band(baseline: list[tuple[float, float]], ascent: float, descent: float) -> list[tuple[float, float]]:
    """A polygon around a baseline: ``ascent`` pixels above it, ``descent`` below."""
    top = [(x, y - ascent) for x, y in baseline]
    bottom = [(x, y + descent) for x, y in reversed(baseline)]
    return top + bottom


def baseline_angle(baseline: list[tuple[float, float]]) -> float:
    """The baseline's slope in degrees (least squares over its points; 0 without one)."""
    if len(baseline) < 2:
        return 0.0
    xs = np.array([p[0] for p in baseline], dtype=np.float64)
    ys = np.array([p[1] for p in baseline], dtype=np.float64)
    if np.ptp(xs) < 1:
        return 0.0
    slope = np.polyfit(xs, ys, 1)[0]
    return float(np.degrees(np.arctan(slope)))


def crop_line(grey: Image.Image, line: GTLine, paper: int, pad: int = 4, straighten: bool = True) -> Image.Image:
    """The line's polygon crop from a grey page, outside the polygon painted with ``paper``.

    With ``straighten`` a sloping baseline (more than half a degree) is turned level, the way
    the recognizer saw its training lines; the crop is then trimmed to the turned polygon.
    """
    poly = line.polygon
    if len(poly) < 3 and len(line.baseline) >= 2:
        poly = baseline_band(line.baseline, ascent=40, descent=15)
    if len(poly) < 3:
        raise GroundTruthError(f"line {line.line_id}: no polygon and no baseline")
    xs, ys = [p[0] for p in poly], [p[1] for p in poly]
    x0, y0 = max(0, int(min(xs)) - pad), max(0, int(min(ys)) - pad)
    x1, y1 = min(grey.width, int(np.ceil(max(xs))) + pad), min(grey.height, int(np.ceil(max(ys))) + pad)
    if x1 - x0 < 2 or y1 - y0 < 2:
        raise GroundTruthError(f"line {line.line_id}: polygon is empty after clipping to the image")
    crop = grey.crop((x0, y0, x1, y1))
    mask = Image.new("L", crop.size, 0)
    ImageDraw.Draw(mask).polygon([(x - x0, y - y0) for x, y in poly], fill=255)
    background = Image.new("L", crop.size, paper)
    out = Image.composite(crop, background, mask)
    angle = baseline_angle(line.baseline) if straighten else 0.0
    if abs(angle) > 0.5:
        out = out.rotate(angle, resample=Image.BILINEAR, expand=True, fillcolor=paper)
        box = mask.rotate(angle, resample=Image.NEAREST, expand=True, fillcolor=0).getbbox()
        if box:
            out = out.crop(box)
    else:
        angle = 0.0
    # Where the crop came from on the page (its top-left before any levelling, and the turn applied),
    # so a reading's image columns can be mapped back onto the scan.
    out.info.update({"origin": (x0, y0), "angle": round(angle, 3)})
    return out


def page_lines(page: GTPage) -> list[tuple[Image.Image, GTLine]]:
    """Every line of a page as (polygon crop, line), refusing the file if a polygon is outside."""
    try:
        with Image.open(page.image_path) as im:
            grey = im.convert("L")
    except OSError as exc:
        raise GroundTruthError(f"{page.source.name}: image {page.image_path.name} cannot be read ({exc})") from exc
    for line in page.lines:
        _check_inside(page, line, grey.width, grey.height)
    paper = paper_tone(grey)
    return [(crop_line(grey, line, paper), line) for line in page.lines if line.text]


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given, and the ``*.xml`` files inside any folder given."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(p.glob("*.xml"))
        else:
            out.append(p)
    return out


@dataclass
class TrainingLines:
    """Line crops and texts read for training, and what was left out (never silently)."""

    pairs: list[tuple[Image.Image, str]]
    files: int
    skipped_validation_files: list[str]
    empty_lines: int

    def summary(self) -> dict:
        return {"ground_truth_files": self.files, "ground_truth_lines": len(self.pairs),
                "skipped_validation_files": len(self.skipped_validation_files),
                "untranscribed_lines_skipped": self.empty_lines}


def load_training_lines(paths: Iterable[str | Path], exclude_validation: bool = True) -> TrainingLines:
    """Read every line of every ALTO/PAGE file; validation wills are left out unless asked."""
    from models_ml.realdata import split_of

    pairs: list[tuple[Image.Image, str]] = []
    skipped: list[str] = []
    files = empty = 0
    for path in expand_paths(paths):
        if exclude_validation and split_of(path) == "val":
            skipped.append(path.name)
            continue
        page = read_ground_truth(path)
        files += 1
        empty += sum(1 for line in page.lines if not line.text)
        pairs += [(crop, line.text) for crop, line in page_lines(page)]
    return TrainingLines(pairs, files, skipped, empty)


def grown_charset(base: str, texts: Iterable[str]) -> str:
    """``base`` plus every character of ``texts`` it lacks, in a stable (sorted) order."""
    have = set(base)
    extra = sorted({c for t in texts for c in t if c not in have and c != "\n"})
    return base + "".join(extra)


def paper_tone(page: Image.Image) -> int:
    """The page's paper grey (75th percentile of a quarter-size copy): what a masked crop is filled with.

    Computed once per page by callers that crop many lines, and passed to ``polygon_crop``."""
    grey = page if page.mode == "L" else page.convert("L")
    return int(np.percentile(np.asarray(grey.reduce(4)), 75))


def polygon_crop(image: Image.Image, polygon: list, baseline: list | None = None, paper: int | None = None) -> Image.Image:
    """A line of a page as the recognizer was trained to see it: masked by its polygon, levelled by its baseline.

    For lines stored in the archive (imported or drawn), so that reading a page there gives the
    crops that training from the same ALTO/PAGE gave, down to the paper tone: the whole page's
    (``paper_tone``), as in training, unless the caller passes the one it computed for the page.
    """
    grey = image if image.mode == "L" else image.convert("L")
    poly = [(float(p[0]), float(p[1])) for p in polygon]
    base = [(float(p[0]), float(p[1])) for p in (baseline or [])]
    return crop_line(grey, GTLine("line", "", poly, base), paper_tone(grey) if paper is None else paper)
