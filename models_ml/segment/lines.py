"""A segmented line as the recognizer pipeline and the archive's jobs take it, and its crop."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw


@dataclass
class SegmentedLine:
    """One text line: polygon and baseline in page pixels; ``angle`` is the page skew (classical).

    ``region_type`` (main, margin, heading, other) and ``region`` (index of the page's region)
    come from the trained segmenter; the classical one leaves them unset.
    """

    polygon: list[tuple[int, int]]
    baseline: list[tuple[int, int]]
    bbox: tuple[int, int, int, int]
    angle: float = 0.0
    region_type: str | None = None
    region: int | None = None


def crop_line(image: Image.Image, line: SegmentedLine) -> Image.Image:
    """The line as an upright image.

    A quadrilateral (the classical segmenter's rotated box) is mapped to a rectangle; any
    other polygon is cropped by its bounding box with the outside painted paper, then turned
    level along its baseline, as the recognizer's ground-truth lines are cropped.
    """
    if len(line.polygon) == 4 and line.region_type is None:
        return _crop_quad(image, line)
    return crop_polygon(image, line.polygon, line.baseline)


def _crop_quad(image: Image.Image, line: SegmentedLine) -> Image.Image:
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = line.polygon[:4]
    width = max(2, int(round(math.hypot(x1 - x0, y1 - y0))))
    height = max(2, int(round(math.hypot(x3 - x0, y3 - y0))))
    src = image.convert("L") if image.mode not in ("L", "RGB") else image
    # QUAD wants upper-left, lower-left, lower-right, upper-right source corners
    return src.transform((width, height), Image.QUAD, (x0, y0, x3, y3, x2, y2, x1, y1),
                         resample=Image.BILINEAR, fillcolor=255 if src.mode == "L" else (255, 255, 255))


def paper_tone(grey: Image.Image) -> int:
    """The page's paper grey (75th percentile of a reduced copy)."""
    return int(np.percentile(np.asarray(grey.reduce(4) if min(grey.size) >= 8 else grey), 75))


def crop_polygon(image: Image.Image, polygon, baseline, pad: int = 4,  # noqa: ANN001 - point lists
                 paper: int | None = None) -> Image.Image:
    """Grey crop of a polygon (outside painted ``paper``), levelled when the baseline slopes > 0.5°."""
    grey = image if image.mode == "L" else image.convert("L")
    paper = paper_tone(grey) if paper is None else paper
    xs, ys = [p[0] for p in polygon], [p[1] for p in polygon]
    x0, y0 = max(0, int(min(xs)) - pad), max(0, int(min(ys)) - pad)
    x1, y1 = min(grey.width, int(math.ceil(max(xs))) + pad), min(grey.height, int(math.ceil(max(ys))) + pad)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return Image.new("L", (2, 2), paper)
    crop = grey.crop((x0, y0, x1, y1))
    mask = Image.new("L", crop.size, 0)
    ImageDraw.Draw(mask).polygon([(x - x0, y - y0) for x, y in polygon], fill=255)
    out = Image.composite(crop, Image.new("L", crop.size, paper), mask)
    angle = _angle(baseline)
    if abs(angle) > 0.5:
        out = out.rotate(angle, resample=Image.BILINEAR, expand=True, fillcolor=paper)
        box = mask.rotate(angle, resample=Image.NEAREST, expand=True, fillcolor=0).getbbox()
        if box:
            out = out.crop(box)
    return out


def _angle(baseline) -> float:  # noqa: ANN001
    if len(baseline) < 2:
        return 0.0
    xs = np.array([p[0] for p in baseline], dtype=np.float64)
    ys = np.array([p[1] for p in baseline], dtype=np.float64)
    if np.ptp(xs) < 1:
        return 0.0
    return float(np.degrees(np.arctan(np.polyfit(xs, ys, 1)[0])))
