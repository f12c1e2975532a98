"""The classical segmenter (the fallback) on synthetic pages of known layout, straight and skewed."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from models_ml.segment.api import crop_line, estimate_skew
from models_ml.segment.api import segment_page_classical as segment_page
from models_ml.synth.pages import render_page
from models_ml.synth.sources import fonts_for, word_stream


def _page(seed: int, skew: float, lines: int) -> tuple[Image.Image, list]:
    rng = np.random.default_rng(seed)
    fonts = [f for f in fonts_for("train") if f.name in ("kalam.woff2", "handlee.woff2", "neucha.woff2")]
    return render_page(rng, fonts, word_stream("heldout"), max_skew=skew, width=900, height=1000, max_lines=lines)


def _centre(box: tuple[int, int, int, int]) -> tuple[float, float]:
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2


@pytest.mark.parametrize(("seed", "skew"), [(1, 0.0), (2, 4.0)])
def test_finds_every_line_in_reading_order(seed: int, skew: float) -> None:
    img, truth = _page(seed, skew, lines=8)
    found = segment_page(img)
    assert len(found) == len(truth)
    for gt, seg in zip(truth, found, strict=True):
        gx, gy = _centre(gt.bbox)
        sx, sy = _centre(seg.bbox)
        assert abs(gy - sy) < 20, (gt.text, gt.bbox, seg.bbox)
    ys = [_centre(s.bbox)[1] for s in found]
    assert ys == sorted(ys)


def test_skew_is_estimated_and_crops_are_upright() -> None:
    img, truth = _page(3, 4.0, lines=8)
    found = segment_page(img)
    angle = found[0].angle
    # ground-truth baseline slope gives the true rotation
    (x0, y0), (x1, y1) = truth[0].baseline[0], truth[0].baseline[-1]
    true_angle = float(np.degrees(np.arctan2(-(y1 - y0), x1 - x0)))
    assert abs(angle - true_angle) < 1.2
    crop = crop_line(img, found[2])
    assert crop.width > 4 * crop.height  # a line, not a block
    b = found[2].baseline
    assert abs(np.degrees(np.arctan2(-(b[1][1] - b[0][1]), b[1][0] - b[0][0])) - angle) < 1.0


def test_uneven_background_does_not_create_lines() -> None:
    h, w = 600, 500
    yy, xx = np.mgrid[0:h, 0:w]
    paper = (200 + 50 * np.sin(xx / 90.0) * np.cos(yy / 120.0)).astype(np.uint8)
    assert segment_page(Image.fromarray(paper)) == []


def test_estimate_skew_on_synthetic_stripes() -> None:
    binary = np.zeros((400, 400), dtype=bool)
    for y in range(40, 380, 40):
        for x in range(20, 380):
            yy = int(round(y - np.tan(np.radians(3.0)) * (x - 200)))
            binary[yy: yy + 6, x] = True
    assert abs(estimate_skew(binary) - 3.0) < 0.3
