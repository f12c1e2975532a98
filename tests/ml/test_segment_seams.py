"""Line polygons cut by seams: a drawn page whose strokes reach into the neighbour lines' bands."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
from PIL import Image, ImageDraw
from shapely.geometry import LineString, Point, Polygon

from models_ml.segment.layout import Line, PageLayout
from models_ml.segment.seams import SeamConfig, ink_map, ink_polygons
from models_ml.segment.vectorise import VectoriseConfig, line_polygon, page_spacing

W, H = 480, 320
BASE_A, BASE_B = 120, 220          # two baselines, 100 px apart
A_ASCENDER = (240, 40)             # line A's tall stroke reaches above its band (ascent 0.65 × 100)
A_DESCENDER = (120, 170)           # line A's descender reaches into line B's band
B_ASCENDER = (360, 160)            # line B's ascender, inside its own band


def _page() -> tuple[Image.Image, PageLayout]:
    """Two lines of 'letters' (x-height blocks), an ascender above A's band and a descender of A into B's band."""
    image = Image.new("L", (W, H), 235)
    d = ImageDraw.Draw(image)
    for base in (BASE_A, BASE_B):
        for x in range(40, 440, 24):
            d.rectangle([x, base - 22, x + 12, base], fill=30)
    d.rectangle([A_ASCENDER[0], A_ASCENDER[1], A_ASCENDER[0] + 5, BASE_A], fill=30)
    d.rectangle([A_DESCENDER[0], BASE_A, A_DESCENDER[0] + 5, A_DESCENDER[1]], fill=30)
    d.rectangle([B_ASCENDER[0], B_ASCENDER[1], B_ASCENDER[0] + 5, BASE_B], fill=30)
    baselines = [np.array([[40.0, BASE_A], [440.0, BASE_A]]), np.array([[40.0, BASE_B], [440.0, BASE_B]])]
    cfg = VectoriseConfig()
    spacing = page_spacing(baselines, cfg.default_spacing)
    layout = PageLayout(width=W, height=H)
    for i, base in enumerate(baselines):
        band = line_polygon(baselines, i, spacing, cfg, W, H)
        layout.lines.append(Line(baseline=[tuple(map(int, p)) for p in base],
                                 polygon=[(int(x), int(y)) for x, y in band], order=i))
    return image, layout


def _contains(polygon: list, point: tuple[int, int]) -> bool:
    return Polygon(polygon).buffer(0).contains(Point(point))


def test_the_band_alone_cuts_the_ascender_and_takes_the_neighbours_descender() -> None:
    """The premise: what the seams are for."""
    _, layout = _page()
    a, b = layout.lines
    assert not _contains(a.polygon, (A_ASCENDER[0] + 2, A_ASCENDER[1] + 3))
    assert _contains(b.polygon, (A_DESCENDER[0] + 2, A_DESCENDER[1] - 3))


def test_seams_give_each_line_its_own_strokes_and_not_its_neighbours() -> None:
    image, layout = _page()
    a, b = ink_polygons(layout, image).lines
    assert _contains(a.polygon, (A_ASCENDER[0] + 2, A_ASCENDER[1] + 3))      # its ascender, past the band
    assert _contains(a.polygon, (A_DESCENDER[0] + 2, A_DESCENDER[1] - 3))    # its descender
    assert not _contains(b.polygon, (A_DESCENDER[0] + 2, A_DESCENDER[1] - 3))  # not A's descender
    assert _contains(b.polygon, (B_ASCENDER[0] + 2, B_ASCENDER[1] + 3))
    assert not _contains(a.polygon, (B_ASCENDER[0] + 2, B_ASCENDER[1] + 3))
    for ln in (a, b):
        shape = Polygon(ln.polygon)
        assert shape.is_valid
        for x in range(48, 440, 24):   # every letter of its own line is inside
            assert shape.contains(Point(x + 6, (BASE_A if ln is a else BASE_B) - 10))


def test_baselines_order_and_count_are_kept() -> None:
    image, layout = _page()
    before = [(ln.baseline, ln.order) for ln in layout.lines]
    after = ink_polygons(layout, image)
    assert [(ln.baseline, ln.order) for ln in after.lines] == before


def test_seams_alone_hug_the_writing() -> None:
    """Without the band the polygon is the seam region: tight above the letters, around the strokes."""
    image, layout = _page()
    a, b = ink_polygons(layout, image, replace(SeamConfig(), keep_band=False)).lines
    top_a = min(y for _, y in a.polygon)
    assert top_a <= A_ASCENDER[1] + 2                      # over the ascender
    assert _contains(a.polygon, (A_ASCENDER[0] + 2, A_ASCENDER[1] + 3))
    column = LineString([(60, 0), (60, H)]).intersection(Polygon(a.polygon))  # away from every tall stroke
    assert BASE_A - 40 <= column.bounds[1] <= BASE_A - 22   # hugs the x-height there
    assert not _contains(b.polygon, (A_DESCENDER[0] + 2, A_DESCENDER[1] - 3))


def test_blank_page_and_empty_layout() -> None:
    image = Image.new("L", (200, 100), 240)
    assert ink_polygons(PageLayout(width=200, height=100), image).lines == []
    ink = ink_map(np.asarray(image))
    assert float(ink.max()) == 0.0


def test_colour_pages_and_lines_at_the_page_edge() -> None:
    image, layout = _page()
    layout.lines[0].baseline = [(0, BASE_A), (W - 1, BASE_A)]
    out = ink_polygons(layout, image.convert("RGB"))
    for ln in out.lines:
        assert all(0 <= x < W and 0 <= y < H for x, y in ln.polygon)
        assert Polygon(ln.polygon).is_valid


def test_a_drawn_baseline_gets_the_band_less_its_neighbours_strokes() -> None:
    from models_ml.segment.seams import polygon_for_baseline

    image, layout = _page()
    a, b = layout.lines
    drawn = polygon_for_baseline(image, b.baseline, [a.baseline])
    shape = Polygon(drawn)
    assert shape.is_valid
    for x in range(48, 440, 24):                               # its own letters
        assert shape.contains(Point(x + 6, BASE_B - 10))
    assert _contains(drawn, (B_ASCENDER[0] + 2, B_ASCENDER[1] + 3))
    assert not _contains(drawn, (A_DESCENDER[0] + 2, A_DESCENDER[1] - 3))  # the line above's descender is cut out
    top = min(y for _, y in drawn)
    assert BASE_B - 0.65 * 100 - 2 <= top                      # no taller than the band
    assert Polygon(b.polygon).intersection(shape).area / shape.area > 0.9


def test_a_baseline_alone_on_its_page_takes_a_spacing_from_the_page_height() -> None:
    from models_ml.segment.seams import LONE_LINE_SPACING, polygon_for_baseline

    image = Image.new("L", (600, 1000), 235)
    drawn = polygon_for_baseline(image.convert("RGB"), [(50, 500), (550, 510)], [])
    ys = [y for _, y in drawn]
    spacing = LONE_LINE_SPACING * 1000
    assert abs((max(ys) - min(ys)) - (0.65 + 0.2) * spacing) <= 0.1 * spacing + 12  # the band (and the slope)
    assert min(x for x, _ in drawn) <= 52 and max(x for x, _ in drawn) >= 548
