"""Vectorisation of the segmenter's maps: synthetic probability maps of known layout."""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from models_ml.segment.layout import REGION_TYPES
from models_ml.segment.vectorise import VectoriseConfig, baseline_pieces, join_pieces, vectorise


def _maps(w: int = 200, h: int = 120) -> np.ndarray:
    """Baselines: three main-text lines (the middle one broken in two, one sloping) and one margin line."""
    maps = np.zeros((1 + len(REGION_TYPES), h, w), np.float32)
    base = Image.new("L", (w, h), 0)
    d = ImageDraw.Draw(base)
    d.line([(60, 20), (190, 20)], fill=255, width=2)
    d.line([(60, 40), (110, 40)], fill=255, width=2)       # first half of line 2
    d.line([(116, 41), (190, 42)], fill=255, width=2)      # its second half, after a word gap
    d.line([(60, 60), (190, 70)], fill=255, width=2)       # sloping line 3
    d.line([(5, 30), (40, 30)], fill=255, width=2)         # a margin note
    maps[0] = np.asarray(base) / 255.0
    maps[1 + REGION_TYPES.index("main"), 5:90, 55:198] = 0.9
    maps[1 + REGION_TYPES.index("margin"), 15:45, 2:48] = 0.9
    return maps


def test_pieces_follow_each_drawn_stroke() -> None:
    pieces = baseline_pieces(_maps()[0], VectoriseConfig())
    assert len(pieces) == 5
    sloping = min(pieces, key=lambda p: -abs(p[-1, 1] - p[0, 1]))
    assert abs((sloping[-1, 1] - sloping[0, 1]) - 10) < 2  # the slope is kept, not flattened


def test_broken_baseline_is_joined_but_lines_above_each_other_are_not() -> None:
    cfg = VectoriseConfig()
    pieces = baseline_pieces(_maps()[0], cfg)
    joined = join_pieces(pieces, spacing=20.0, cfg=cfg)
    assert len(joined) == 4
    spans = sorted((round(p[0, 0]), round(p[-1, 0])) for p in joined)
    assert (60, 190) in [(a, b) for a, b in spans] or any(a <= 61 and b >= 189 for a, b in spans)


def test_layout_in_page_pixels_with_regions_and_reading_order() -> None:
    layout = vectorise(_maps(), page_w=1600, page_h=960)  # label grid is 1/8 of the page
    assert len(layout.lines) == 4
    types = {r.type for r in layout.regions}
    assert types == {"main", "margin"}
    ordered = sorted(layout.lines, key=lambda ln: ln.order)
    assert [ln.order for ln in ordered] == [0, 1, 2, 3]
    # main text first, top to bottom; the margin note last
    kinds = [layout.regions[ln.region].type for ln in ordered]
    assert kinds == ["main", "main", "main", "margin"]
    ys = [np.mean([p[1] for p in ln.baseline]) for ln in ordered[:3]]
    assert ys == sorted(ys)
    assert abs(ys[0] - 20.5 * 8) < 10  # coordinates scaled to the page
    for ln in layout.lines:
        assert all(0 <= x < 1600 and 0 <= y < 960 for x, y in ln.polygon + ln.baseline)
        top = min(p[1] for p in ln.polygon)
        bottom = max(p[1] for p in ln.polygon)
        base_y = np.mean([p[1] for p in ln.baseline])
        assert top < base_y < bottom  # the polygon wraps its baseline, more of it above
        assert base_y - top > bottom - base_y


def test_empty_maps_give_an_empty_layout() -> None:
    layout = vectorise(np.zeros((5, 50, 40), np.float32), page_w=320, page_h=400)
    assert layout.lines == [] and layout.regions == []
