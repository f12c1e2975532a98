"""Page scans and line crops, opened and cut exactly as the recognizer CLI does.

Why one place: a job's reading of a page, a fine-tune's training lines and a memory-lens
trace must all see the same pixels as ``python -m models_ml transcribe``; tasks and
services both crop through here.
"""
from __future__ import annotations

from archive.models import GeometrySource, Line, Page


def page_image(page: Page):  # noqa: ANN202 - PIL is imported lazily
    """The page scan as the recognizer CLI opens it (no conversion), so readings are identical."""
    from PIL import Image

    with page.image.file.open("rb") as fh:
        with Image.open(fh) as img:
            img.load()
            return img.copy()


def as_segmented_line(line: Line):  # noqa: ANN202
    """A DB line as the segmenter's SegmentedLine, so crops match the CLI's exactly."""
    from models_ml.segment.api import SegmentedLine

    xs = [int(p[0]) for p in line.polygon] or [0]
    ys = [int(p[1]) for p in line.polygon] or [0]
    return SegmentedLine(
        polygon=[tuple(int(v) for v in p) for p in line.polygon],
        baseline=[tuple(int(v) for v in p) for p in line.baseline],
        bbox=(min(xs), min(ys), max(xs), max(ys)),
    )


def crop_line_image(image, line: Line, paper: int | None = None):  # noqa: ANN001, ANN202
    """The line image. A classical segmenter's quadrilateral is cropped as the segmenter does (upright, like
    the CLI); any other polygon (drawn, imported, or the trained segmenter's, whose lines carry its
    ModelVersion) as training from ALTO/PAGE crops it: masked by the polygon and levelled by the baseline
    (models_ml.htr.groundtruth.polygon_crop, which the CLI's ``transcribe --page`` uses too); a line without
    one by its box."""
    if line.source == GeometrySource.MACHINE and len(line.polygon) == 4 and line.model_version_id is None:
        from models_ml.segment.api import crop_line

        return crop_line(image, as_segmented_line(line))
    if len(line.polygon) >= 3:
        from models_ml.htr.groundtruth import polygon_crop

        return polygon_crop(image, line.polygon, line.baseline, paper)
    x, y, w, h = line.bbox()
    box = (max(0, x), max(0, y), min(image.width, x + max(1, w)), min(image.height, y + max(1, h)))
    crop = image.crop(box)
    return crop if crop.mode in ("L", "RGB") else crop.convert("L")


def page_line_crops(image, lines: list[Line]) -> list:  # noqa: ANN001
    """The crops of several lines of one page, its paper tone computed once (not once per line)."""
    from models_ml.htr.groundtruth import paper_tone

    paper = paper_tone(image) if lines else None
    return [crop_line_image(image, line, paper) for line in lines]
