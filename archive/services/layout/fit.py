"""The polygon of a line drawn as a baseline only, cut from the scan as the segmenter cuts its lines.

eScriptorium's and kraken's way of drawing a missing line: the curator draws its baseline and
the machine finds the polygon. Here it is the segmenter's band around the baseline at the page's
line spacing, less the ink regions of the lines above and below (``models_ml.segment.seams``), so
the recognizer reads the line as it reads the segmenter's.
"""
from __future__ import annotations

from archive.models import Page
from archive.services.layout.order import live_lines
from palimpsest.errors import InputError


def fitted_polygon(page: Page, baseline: list[list[float]], exclude: int | None = None) -> list[list[float]]:
    """A polygon for ``baseline`` (already checked) on ``page``, from its scan and its other lines
    (all live lines but ``exclude``, the line being refitted)."""
    from PIL import Image

    from models_ml.segment.seams import polygon_for_baseline
    from models_ml.segment.trained import card_vectorise_config

    try:
        with page.image.file.open("rb") as handle, Image.open(handle) as image:
            grey = image.convert("L")
    except OSError as exc:  # PIL's UnidentifiedImageError is one
        raise InputError(f"The page's scan cannot be read to fit the line ({exc}); draw its polygon instead.",
                         code="scan_unreadable") from exc
    others = [ln.baseline for ln in live_lines(page) if ln.pk != exclude and ln.baseline and len(ln.baseline) >= 2]
    polygon = polygon_for_baseline(grey, baseline, others, band=card_vectorise_config())  # the shipped segmenter's band
    return [[float(x), float(y)] for x, y in polygon]

