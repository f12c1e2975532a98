"""Line polygons that follow the ink: a seam above and a seam below each baseline.

A band of fixed height around a baseline (``vectorise.line_polygon``) cuts tall ascenders and
takes in the neighbour lines' descenders and the paper's rule lines, and the recognizer reads
what the band holds. Here a line's polygon is bounded by two *seams*: the cheapest
left-to-right paths through the page's ink, one between the line's core (its x-height) and the
line above, one between its baseline and the line below. Crossing ink costs much and straying
from the line costs a little, so a seam hugs the writing and climbs around an ascender or
descends around a descender, the way the ground-truth polygons of the wills are drawn (kraken's
polygoniser carves seams in the same spirit). The minimum-cost paths are scikit-image's
(``skimage.graph.MCP``); the search runs on a half-size page, in coordinates that follow the
baseline, so a sloping line is as easy as a level one.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from models_ml.segment.layout import Line, PageLayout
from models_ml.segment.vectorise import VectoriseConfig, line_polygon, neighbour_gap, page_spacing, y_at

# A seam may move this many rows per column up or down: steep enough to pass an ascender.
SEAM_OFFSETS = [(-2, 1), (-1, 1), (0, 1), (1, 1), (2, 1)]
# A line alone on its page: its band is cut as if the lines were this fraction of the page height apart
# (the wills: baselines 100-130 px apart on pages 3,000 px high).
LONE_LINE_SPACING = 0.04


@dataclass
class SeamConfig:
    scale: float = 0.5        # the seams are found on the page at this size
    core: float = 0.3         # × gap to the line above: the x-height the upper seam never enters
    base_drop: float = 0.05   # × spacing: the lower seam starts this far below the baseline
    reach: float = 0.95       # × gap to the neighbour: how far a seam may go (never onto its baseline)
    below_reach: float = 0.7  # × gap below: the lower seam stays above the next line's core
    ink_cost: float = 100.0   # a pixel of full ink costs this much more than paper
    lean: float = 0.05        # each row away from the line costs this much per column
    ink_floor: float = 0.25   # ink below this (rule lines, show-through) counts as paper
    margin: float = 0.15      # × spacing: the polygon reaches this far past the baseline's ends
    keep_band: bool = True    # the band (less the neighbours' seam regions) plus the seam region; False: seams only
    add_own: bool = True      # with keep_band: add the line's own seam region to the band; False: only cut it


def ink_map(grey: np.ndarray) -> np.ndarray:
    """How much ink each pixel holds, 0 (paper) to 1 (the page's darkest strokes)."""
    paper = float(np.percentile(grey, 75))
    dark = float(np.percentile(grey, 1))
    ink = np.clip((paper - grey.astype(np.float32)) / max(1.0, paper - dark), 0.0, 1.0)
    from scipy import ndimage

    return ndimage.grey_dilation(ink, size=(3, 3))  # a thin or faint stroke is still a wall


def _seam(ink: np.ndarray, xs: np.ndarray, start_y: np.ndarray, sign: int, rows: int,
          cfg: SeamConfig) -> np.ndarray:
    """The cheapest path's y per column: rows counted from ``start_y`` upwards (sign -1) or downwards (+1)."""
    from skimage.graph import MCP

    h, w = ink.shape
    r = np.arange(rows, dtype=np.float32)[:, None]
    ys = np.rint(start_y[None, :] + sign * r).astype(np.int64)
    inside = (ys >= 0) & (ys < h)
    sampled = np.zeros(ys.shape, np.float32)
    cols = np.broadcast_to(xs[None, :], ys.shape)
    sampled[inside] = ink[ys[inside], cols[inside]]
    sampled = np.clip((sampled - cfg.ink_floor) / (1.0 - cfg.ink_floor), 0.0, 1.0)
    cost = 1.0 + cfg.lean * r + cfg.ink_cost * sampled
    cost[~inside] = 1.0 + cfg.lean * rows + cfg.ink_cost  # off the page: allowed, never cheap
    mcp = MCP(cost, offsets=SEAM_OFFSETS, fully_connected=False)
    starts = [(k, 0) for k in range(rows)]
    ends = [(k, len(xs) - 1) for k in range(rows)]
    cumulative, _ = mcp.find_costs(starts, ends)
    end_row = int(np.argmin(cumulative[:, -1]))
    path = mcp.traceback((end_row, len(xs) - 1))
    by_col = np.zeros(len(xs), np.float64)
    for row, col in path:
        by_col[col] = row
    return start_y + sign * by_col


def seam_polygon(ink: np.ndarray, lines: list[np.ndarray], i: int, spacing: float,
                 cfg: SeamConfig) -> np.ndarray:
    """The polygon (k, 2) of baseline ``i`` between its two seams, in the ink map's pixels."""
    h, w = ink.shape
    base = lines[i]
    up = min(neighbour_gap(lines, i, -1) or spacing, 1.5 * spacing)
    down = min(neighbour_gap(lines, i, 1) or spacing, 1.5 * spacing)
    margin = cfg.margin * spacing
    x0 = int(max(0, np.floor(base[:, 0].min() - margin)))
    x1 = int(min(w - 1, np.ceil(base[:, 0].max() + margin)))
    if x1 - x0 < 2:
        x1 = min(w - 1, x0 + 2)
    xs = np.arange(x0, x1 + 1)
    yb = y_at(base, xs.astype(np.float64))
    core = cfg.core * up
    up_rows = max(1, int(cfg.reach * up - core))
    top = _seam(ink, xs, yb - core, -1, up_rows, cfg)
    drop = cfg.base_drop * spacing
    down_rows = max(1, int(cfg.below_reach * down - drop))
    bottom = _seam(ink, xs, yb + drop, +1, down_rows, cfg)
    poly = np.concatenate([np.stack([xs, top], axis=1), np.stack([xs[::-1], bottom[::-1]], axis=1)])
    return _simplified(poly)


def _simplified(poly: np.ndarray, tol: float = 1.0) -> np.ndarray:
    from shapely.geometry import Polygon

    shape = Polygon(poly).simplify(tol, preserve_topology=True)
    if shape.is_empty or shape.geom_type != "Polygon":
        return poly
    return np.asarray(shape.exterior.coords)[:-1]


def ink_polygons(layout: PageLayout, grey, cfg: SeamConfig | None = None) -> PageLayout:  # noqa: ANN001 - PIL image
    """``layout`` with every line's polygon cut by the seams (page pixels).

    With ``keep_band`` a line keeps its band, as the recognizer was trained on crops of that
    height, less whatever falls inside a neighbour line's seam region (its descenders, its
    ascenders), plus its own seam region (its ascenders and descenders past the band).
    Without it the polygon is the seam region alone.
    """
    from PIL import Image
    from shapely.geometry import Polygon

    cfg = cfg or SeamConfig()
    if not layout.lines:
        return layout
    grey = grey if grey.mode == "L" else grey.convert("L")
    small_w, small_h = max(1, round(grey.width * cfg.scale)), max(1, round(grey.height * cfg.scale))
    ink = ink_map(np.asarray(grey.resize((small_w, small_h), Image.BILINEAR)))
    sx, sy = small_w / grey.width, small_h / grey.height
    lines = [np.asarray(ln.baseline, dtype=np.float64) * (sx, sy) for ln in layout.lines]
    lines = [b[np.argsort(b[:, 0])] for b in lines]
    spacing = page_spacing(lines, default=40.0 * cfg.scale)
    seams: list[Polygon | None] = []
    for i in range(len(layout.lines)):
        if len(lines[i]) < 2:
            seams.append(None)
            continue
        poly = seam_polygon(ink, lines, i, spacing, cfg) / (sx, sy)
        shape = Polygon(poly)
        seams.append(shape if shape.is_valid else shape.buffer(0))
    for i, ln in enumerate(layout.lines):
        own = seams[i]
        if own is None or own.is_empty:
            continue
        shape = own
        if cfg.keep_band and len(ln.polygon) >= 3:
            band = Polygon(ln.polygon).buffer(0)
            for j, other in enumerate(seams):
                if j != i and other is not None and other.intersects(band):
                    band = band.difference(other)
            shape = band.union(own) if cfg.add_own else band
        if shape.geom_type != "Polygon":  # pieces: keep the one with the line's own ink
            parts = [g for g in getattr(shape, "geoms", []) if g.geom_type == "Polygon"]
            shape = max(parts, key=lambda g: g.intersection(own).area, default=own)
        shape = shape.simplify(1.0, preserve_topology=True)
        out = _page_points(np.asarray(shape.exterior.coords)[:-1], grey.width, grey.height)
        if len(out) >= 3:
            ln.polygon = out
    return layout


def _page_points(poly: np.ndarray, w: int, h: int) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for x, y in poly:
        p = (int(round(min(max(x, 0), w - 1))), int(round(min(max(y, 0), h - 1))))
        if not out or out[-1] != p:
            out.append(p)
    return out


def polygon_for_baseline(grey, baseline: list, others: list[list], cfg: SeamConfig | None = None,  # noqa: ANN001
                         band: VectoriseConfig | None = None) -> list[tuple[int, int]]:
    """The polygon of a line drawn as ``baseline`` on a page whose other lines have ``others`` baselines (page pixels).

    It is cut as the segmenter cuts its lines, so the recognizer reads it as it reads theirs: the band of
    ``band`` (the shipped segmenter's ascent and descent) at the local line spacing, less the seam regions of
    the lines above and below (their descenders and ascenders). A page with no other line takes a spacing
    of ``LONE_LINE_SPACING`` × its height.
    """
    grey = grey if grey.mode == "L" else grey.convert("L")
    band = band or VectoriseConfig()
    cfg = replace(cfg or SeamConfig(), keep_band=True, add_own=False)
    own = np.asarray(baseline, dtype=np.float64)
    own = own[np.argsort(own[:, 0])]
    rest = [np.asarray(b, dtype=np.float64) for b in others if len(b) >= 2]
    rest = [b[np.argsort(b[:, 0])] for b in rest]
    spacing = page_spacing([own, *rest], LONE_LINE_SPACING * grey.height)
    near = [b for b in rest if _vertical_distance(own, b) < 2.5 * spacing]
    lines = [own, *near]
    layout = PageLayout(width=grey.width, height=grey.height)
    for i, base in enumerate(lines):
        poly = line_polygon(lines, i, spacing, band, grey.width, grey.height)
        layout.lines.append(Line(baseline=[(float(x), float(y)) for x, y in base],
                                 polygon=[(float(x), float(y)) for x, y in poly]))
    fitted = ink_polygons(layout, grey, cfg)
    return list(fitted.lines[0].polygon)


def _vertical_distance(a: np.ndarray, b: np.ndarray) -> float:
    """How far apart two baselines are where they overlap in x (infinite where they do not)."""
    lo, hi = max(a[0, 0], b[0, 0]), min(a[-1, 0], b[-1, 0])
    if hi <= lo:
        return float("inf")
    xs = np.linspace(lo, hi, 8)
    return float(np.median(np.abs(y_at(b, xs) - y_at(a, xs))))
