"""From the network's probability maps to baselines, line polygons and regions.

* Baselines: the baseline map is thresholded with hysteresis (seeds above ``high``, grown
  through ``low``); each connected piece becomes a polyline through the probability-weighted
  row of each of its columns (a skeleton of a horizontal stroke, without spurs). Pieces
  that continue one another (small gap, small vertical step) are joined.
* Line polygons: a band around the baseline, ``ascent`` × the local line spacing above and
  ``descent`` × below (the spacing is the distance to the neighbour baselines; the page's
  median where a line has none), clipped to the page.
* Regions: per region type, connected parts of the pixels where that type wins, traced
  into polygons (scikit-image contours, simplified with shapely).
* Reading order: regions heading → main → margin → other, each top to bottom; lines by
  their region's order, then top to bottom. Lines outside every region come last.
All coordinates here are in label pixels; ``PageLayout`` conversion scales them to the page.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models_ml.segment.layout import REGION_TYPES, Line, PageLayout, Region

TYPE_RANK = {"heading": 0, "main": 1, "margin": 2, "other": 3}


@dataclass
class VectoriseConfig:
    high: float = 0.5
    low: float = 0.3
    min_length: float = 4.0       # label px: shorter baseline pieces are dropped
    join_gap: float = 2.5         # × line spacing: largest horizontal gap joined
    join_step: float = 0.35       # × line spacing: largest vertical step joined
    ascent: float = 0.65          # polygon above the baseline, × spacing (tuned on training pages)
    descent: float = 0.2          # polygon below the baseline, × spacing (tuned on training pages)
    default_spacing: float = 12.0  # label px, when a page has a single line
    region_threshold: float = 0.5
    min_region_area: float = 30.0  # label px²

    @classmethod
    def from_card(cls, card: dict) -> VectoriseConfig:
        """The settings a segmenter's card records under ``vectorise`` (unknown keys ignored, missing ones default)."""
        return cls(**{k: v for k, v in card.get("vectorise", {}).items() if k in cls.__dataclass_fields__})


def baseline_pieces(prob: np.ndarray, cfg: VectoriseConfig) -> list[np.ndarray]:
    """Polylines (k, 2) of (x, y) label coordinates, one per connected baseline piece."""
    from scipy import ndimage

    weak = prob > cfg.low
    labels, n = ndimage.label(weak, structure=np.ones((3, 3), bool))
    if n == 0:
        return []
    strong = np.zeros(n + 1, bool)
    strong[np.unique(labels[prob > cfg.high])] = True
    strong[0] = False
    out = []
    for i, sl in enumerate(ndimage.find_objects(labels), start=1):
        if sl is None or not strong[i]:
            continue
        ys, xs = sl
        comp = (labels[sl] == i) * prob[sl]
        cols = comp.sum(axis=0)
        keep = np.nonzero(cols > 0)[0]
        if len(keep) == 0 or keep[-1] - keep[0] + 1 < cfg.min_length:
            continue
        rows = np.arange(comp.shape[0], dtype=np.float64)[:, None]
        yc = (comp * rows).sum(axis=0)[keep] / cols[keep]
        pts = np.stack([keep + xs.start + 0.5, yc + ys.start + 0.5], axis=1)
        out.append(pts)
    return out


def _simplify(pts: np.ndarray, tol: float = 0.75) -> np.ndarray:
    from shapely.geometry import LineString

    if len(pts) <= 2:
        return pts
    simple = LineString(pts).simplify(tol, preserve_topology=False)
    return np.asarray(simple.coords)


def page_spacing(lines: list[np.ndarray], default: float) -> float:
    """Median vertical distance between x-overlapping neighbour baselines."""
    ds = [d for i in range(len(lines)) for d in (neighbour_gap(lines, i, -1), neighbour_gap(lines, i, 1)) if d]
    return float(np.median(ds)) if ds else default


def y_at(line: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The baseline's y at columns ``x`` (its points in x order)."""
    return np.interp(x, line[:, 0], line[:, 1])


def neighbour_gap(lines: list[np.ndarray], i: int, direction: int) -> float | None:
    """Distance to the nearest baseline above (-1) or below (+1) that overlaps in x."""
    a = lines[i]
    best = None
    for j, b in enumerate(lines):
        if j == i:
            continue
        lo, hi = max(a[0, 0], b[0, 0]), min(a[-1, 0], b[-1, 0])
        if hi - lo < 0.2 * min(a[-1, 0] - a[0, 0], b[-1, 0] - b[0, 0]):
            continue
        xs = np.linspace(lo, hi, 8)
        d = float(np.median(y_at(b, xs) - y_at(a, xs))) * direction
        if d > 1 and (best is None or d < best):
            best = d
    return best


def join_pieces(pieces: list[np.ndarray], spacing: float, cfg: VectoriseConfig) -> list[np.ndarray]:
    """Join pieces where one continues another to its right (gap and step small)."""
    pieces = sorted(pieces, key=lambda p: p[0, 0])
    merged = True
    while merged:
        merged = False
        for i, a in enumerate(pieces):
            best, best_cost = None, None
            for j, b in enumerate(pieces):
                if j == i:
                    continue
                gap = b[0, 0] - a[-1, 0]
                if gap < -0.5 * spacing or gap > cfg.join_gap * spacing:
                    continue
                # overlap in x beyond a little: two lines, not one
                if min(a[-1, 0], b[-1, 0]) - max(a[0, 0], b[0, 0]) > 0.5 * spacing:
                    continue
                step = abs(b[0, 1] - a[-1, 1])
                if step > cfg.join_step * spacing:
                    continue
                cost = max(gap, 0) + 3 * step
                if best_cost is None or cost < best_cost:
                    best, best_cost = j, cost
            if best is not None:
                b = pieces[best]
                joined = np.concatenate([a, b[b[:, 0] > a[-1, 0]]])
                pieces = [p for k, p in enumerate(pieces) if k not in (i, best)] + [joined]
                pieces.sort(key=lambda p: p[0, 0])
                merged = True
                break
    return pieces


def line_polygon(lines: list[np.ndarray], i: int, spacing: float, cfg: VectoriseConfig,
                 w: float, h: float) -> np.ndarray:
    """A band around baseline ``i``: ascent above and descent below, × the local spacing."""
    up = neighbour_gap(lines, i, -1) or spacing
    down = neighbour_gap(lines, i, 1) or spacing
    up, down = min(up, 1.5 * spacing), min(down, 1.5 * spacing)
    base = lines[i]
    top = np.stack([base[:, 0], base[:, 1] - cfg.ascent * up], axis=1)
    bottom = np.stack([base[::-1, 0], base[::-1, 1] + cfg.descent * down], axis=1)
    poly = np.concatenate([top, bottom])
    poly[:, 0] = np.clip(poly[:, 0], 0, w)
    poly[:, 1] = np.clip(poly[:, 1], 0, h)
    return poly


def regions_from_maps(region_probs: np.ndarray, cfg: VectoriseConfig) -> list[tuple[str, np.ndarray]]:
    """(type, polygon (k, 2) in label px) for each connected part of each region type."""
    from scipy import ndimage
    from shapely.geometry import Polygon
    from skimage.measure import find_contours

    best = region_probs.argmax(axis=0)
    on = region_probs.max(axis=0) > cfg.region_threshold
    out = []
    for k, rtype in enumerate(REGION_TYPES):
        mask = on & (best == k)
        if not mask.any():
            continue
        mask = ndimage.binary_opening(mask, iterations=1)
        labels, n = ndimage.label(mask)
        for i, sl in enumerate(ndimage.find_objects(labels), start=1):
            if sl is None:
                continue
            comp = labels[sl] == i
            if comp.sum() < cfg.min_region_area:
                continue
            padded = np.pad(comp, 1).astype(np.float32)
            contours = find_contours(padded, 0.5)
            if not contours:
                continue
            c = max(contours, key=len)  # (row, col)
            pts = np.stack([c[:, 1] - 1 + sl[1].start, c[:, 0] - 1 + sl[0].start], axis=1)
            poly = Polygon(pts).simplify(1.0)
            if poly.is_empty or poly.geom_type != "Polygon" or poly.area < cfg.min_region_area:
                continue
            out.append((rtype, np.asarray(poly.exterior.coords)[:-1]))
    return out


def vectorise(probs: np.ndarray, page_w: int, page_h: int, cfg: VectoriseConfig | None = None) -> PageLayout:
    """A PageLayout in page pixels from (C, h, w) probabilities (baseline, then region types)."""
    from shapely.geometry import LineString, Polygon

    cfg = cfg or VectoriseConfig()
    _, h, w = probs.shape
    sx, sy = page_w / w, page_h / h
    pieces = baseline_pieces(probs[0], cfg)
    spacing = page_spacing(pieces, cfg.default_spacing)
    lines = [_simplify(p) for p in join_pieces(pieces, spacing, cfg)]
    lines = [ln for ln in lines if ln[-1, 0] - ln[0, 0] >= cfg.min_length]
    spacing = page_spacing(lines, cfg.default_spacing)
    regions = regions_from_maps(probs[1:], cfg)
    regions.sort(key=lambda r: (TYPE_RANK.get(r[0], 9), float(r[1][:, 1].min()), float(r[1][:, 0].min())))
    shapes = [Polygon(p).buffer(0) for _, p in regions]
    layout = PageLayout(width=page_w, height=page_h)
    for order, (rtype, poly) in enumerate(regions):
        layout.regions.append(Region(polygon=_to_page(poly, sx, sy, page_w, page_h), type=rtype, order=order))
    staged = []
    for i, base in enumerate(lines):
        poly = line_polygon(lines, i, spacing, cfg, w, h)
        ls = LineString(base)
        ridx, best = -1, 0.0
        for r, shape in enumerate(shapes):
            inter = ls.intersection(shape).length if ls.length > 0 else 0.0
            if inter > best + 1e-9:
                ridx, best = r, inter
        if ridx >= 0 and best < 0.3 * ls.length:
            ridx = -1
        staged.append((ridx if ridx >= 0 else len(regions), float(base[:, 1].mean()), base, poly, ridx))
    staged.sort(key=lambda s: (s[0], s[1]))
    for order, (_, _, base, poly, ridx) in enumerate(staged):
        layout.lines.append(Line(baseline=_to_page(base, sx, sy, page_w, page_h),
                                 polygon=_to_page(poly, sx, sy, page_w, page_h), region=ridx, order=order))
    return layout


def _to_page(pts: np.ndarray, sx: float, sy: float, w: int, h: int) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for x, y in pts:
        p = (int(round(min(max(x * sx, 0), w - 1))), int(round(min(max(y * sy, 0), h - 1))))
        if not out or out[-1] != p:
            out.append(p)
    return out
