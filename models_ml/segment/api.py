"""Page → text lines and regions: the trained segmenter by default, the classical one as fallback.

``segment_page`` is what the recognizer pipeline and the archive's jobs call. The method
is ``trained`` (the shipped ``store/segment-default``) unless the caller, or the
``PALIMPSEST_SEGMENTER`` environment variable, says ``classical``. ``MODEL_DIR`` names the
model that writes the geometry (None for the classical segmenter), so jobs attribute it.
"""
from __future__ import annotations

import os
from pathlib import Path

from PIL import Image

from models_ml.segment.classical import estimate_skew, segment_page_classical
from models_ml.segment.layout import PageLayout, classical_layout
from models_ml.segment.lines import SegmentedLine, crop_line, crop_polygon

__all__ = ["METHODS", "MODEL_DIR", "SegmentedLine", "crop_line", "crop_polygon", "default_method",
           "estimate_skew", "segment_layout", "segment_page", "segment_page_classical"]

METHODS = ("trained", "classical")


def _trained_dir() -> Path:
    from models_ml.segment.trained import default_segmenter_dir

    return default_segmenter_dir()


def default_method() -> str:
    """``PALIMPSEST_SEGMENTER`` if set, else ``trained`` when the shipped model is present."""
    env = os.environ.get("PALIMPSEST_SEGMENTER", "").strip().lower()
    if env:
        if env not in METHODS:
            raise ValueError(f"PALIMPSEST_SEGMENTER must be one of {', '.join(METHODS)}, not {env!r}")
        return env
    return "trained" if (_trained_dir() / "card.json").exists() else "classical"


MODEL_DIR: Path | None = _trained_dir() if default_method() == "trained" else None


def segment_layout(image: Image.Image, method: str | None = None, model_dir: str | Path | None = None) -> PageLayout:
    """Regions and lines (reading order set) of a page image."""
    method = method or default_method()
    if method == "classical":
        layout = classical_layout(segment_page_classical(image), image.width, image.height)
        layout.method = "classical"
        return layout
    return _trained_layout(image, method, model_dir)[0]


def _trained_layout(image: Image.Image, method: str,
                    model_dir: str | Path | None) -> tuple[PageLayout, list[SegmentedLine] | None]:
    """The trained segmenter's layout; on a page it reads as empty, the classical one's (and its lines) if it has any."""
    if method != "trained":
        raise ValueError(f"unknown segmentation method {method!r} (one of {', '.join(METHODS)})")
    from models_ml.segment.trained import get_segmenter

    layout = get_segmenter(model_dir).segment(image)
    if not layout.lines:  # a page the trained model reads as empty: better the classical lines than none
        classical = segment_page_classical(image)
        if classical:
            fallback = classical_layout(classical, image.width, image.height)
            fallback.method = "classical-fallback"
            return fallback, classical
    return layout, None


def segment_page(image: Image.Image, method: str | None = None,
                 model_dir: str | Path | None = None) -> list[SegmentedLine]:
    """Text lines of a page in reading order, as polygons and baselines."""
    method = method or default_method()
    if method == "classical":
        return segment_page_classical(image)
    if image.width < 8 or image.height < 8:
        return []
    layout, classical = _trained_layout(image, method, model_dir)
    if classical is not None:  # the classical lines, cropped as the classical segmenter crops them
        return classical
    out = []
    for ln in layout.lines:
        xs, ys = [p[0] for p in ln.polygon], [p[1] for p in ln.polygon]
        rtype = layout.regions[ln.region].type if ln.region >= 0 else "none"
        out.append(SegmentedLine(polygon=list(ln.polygon), baseline=list(ln.baseline),
                                 bbox=(min(xs), min(ys), max(xs), max(ys)), region_type=rtype,
                                 region=ln.region if ln.region >= 0 else None))
    return out
