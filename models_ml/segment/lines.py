"""A segmented line as the recognizer pipeline and the archive's jobs take it, and its crop."""
from __future__ import annotations

import math
from dataclasses import dataclass

from PIL import Image


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


def crop_line(image: Image.Image, line: SegmentedLine, paper: int | None = None) -> Image.Image:
    """The line as an upright image.

    A quadrilateral (the classical segmenter's rotated box) is mapped to a rectangle; any
    other polygon is cropped by its bounding box with the outside painted paper, then turned
    level along its baseline, as the recognizer's ground-truth lines are cropped.
    """
    if len(line.polygon) == 4 and line.region_type is None:
        return _crop_quad(image, line)
    return crop_polygon(image, line.polygon, line.baseline, paper)


def _crop_quad(image: Image.Image, line: SegmentedLine) -> Image.Image:
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = line.polygon[:4]
    width = max(2, int(round(math.hypot(x1 - x0, y1 - y0))))
    height = max(2, int(round(math.hypot(x3 - x0, y3 - y0))))
    src = image.convert("L") if image.mode not in ("L", "RGB") else image
    # QUAD wants upper-left, lower-left, lower-right, upper-right source corners
    return src.transform((width, height), Image.QUAD, (x0, y0, x3, y3, x2, y2, x1, y1),
                         resample=Image.BILINEAR, fillcolor=255 if src.mode == "L" else (255, 255, 255))


def crop_polygon(image: Image.Image, polygon, baseline, paper: int | None = None) -> Image.Image:  # noqa: ANN001
    """Grey crop of a polygon, outside painted paper, levelled along a sloping baseline.

    The recognizer's own crop for archive lines (``htr.groundtruth.polygon_crop``), so a page
    segmented here is read from the same kind of crops the recognizer was trained on. ``paper``: the
    page's tone when the caller crops many lines of one page (``groundtruth.paper_tone``).
    """
    from models_ml.htr.groundtruth import polygon_crop

    return polygon_crop(image, list(polygon), list(baseline), paper)
