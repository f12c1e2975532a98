"""Segmentation metrics that segmentation people quote.

* **Baselines, cBAD / ICDAR 2017 style** (Grüning et al., READ-BAD, 2018): polylines are
  resampled every ``tick`` pixels; each ground-truth baseline gets a tolerance ``t`` =
  ``rel_tol`` × its distance to the neighbouring baselines, clipped to [``min_tol``,
  ``max_tol``] (0.25, 10, 30 px: the Transkribus tool's defaults). A point is covered 1 within
  ``t`` of a line and linearly less up to ``3t``. Recall: ground-truth points covered by any
  hypothesis. Precision: hypothesis points covered by the one ground-truth line that each
  hypothesis is aligned with (the one covering most of it), so a hypothesis that merges two
  lines, or strays off them, loses precision. Per page, then averaged over pages; F1 from
  the averages.
* **Line polygons**: a hypothesis line and a ground-truth line match when their polygons'
  IoU ≥ 0.5 (one-to-one, best first); F1 = 2·matches / (hyp + gt).
* **Regions**: pixel accuracy of the region type (background counted as a type) over the
  pixels that either side puts in a region, on a 1/8 grid; and the share of matched lines
  whose region type agrees.
"""
from __future__ import annotations

import numpy as np

from models_ml.segment.layout import REGION_TYPES, PageLayout


def resample(points, tick: float = 5.0) -> np.ndarray:  # noqa: ANN001 - sequence of (x, y)
    """Points along a polyline every ``tick`` pixels (both ends kept)."""
    p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if len(p) < 2:
        return p
    seg = np.hypot(*np.diff(p, axis=0).T)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    if cum[-1] < 1e-9:
        return p[:1]
    n = max(2, int(np.ceil(cum[-1] / tick)) + 1)
    t = np.linspace(0.0, cum[-1], n)
    return np.stack([np.interp(t, cum, p[:, 0]), np.interp(t, cum, p[:, 1])], axis=1)


class _Near:
    """Nearest-sample distances to a polyline sampled every pixel (within half a pixel of exact)."""

    def __init__(self, line: np.ndarray) -> None:
        from scipy.spatial import cKDTree

        self.tree = cKDTree(line)

    def dist(self, points: np.ndarray) -> np.ndarray:
        return self.tree.query(points, k=1)[0]


def _dist_to(points: np.ndarray, line: np.ndarray | _Near) -> np.ndarray:
    """Distance of each point to a densely sampled polyline (its nearest sample)."""
    return (line if isinstance(line, _Near) else _Near(line)).dist(points)


def coverage(dist: np.ndarray, tol: float) -> np.ndarray:
    return np.clip((3 * tol - dist) / (2 * tol), 0.0, 1.0)


def tolerances(gt: list[np.ndarray], rel_tol: float = 0.25, min_tol: float = 10.0,
               max_tol: float = 30.0, trees: list | None = None) -> list[float]:
    """Per ground-truth line: rel_tol × (median) distance to its nearest neighbour line, clipped."""
    trees = trees or [_Near(resample(g, 1.0)) for g in gt]
    tols = []
    for i, g in enumerate(gt):
        ds = [float(np.median(_dist_to(g, h))) for j, h in enumerate(trees) if j != i]
        near = min(ds) if ds else max_tol / rel_tol
        tols.append(float(np.clip(rel_tol * near, min_tol, max_tol)))
    return tols


def baseline_pr(hyp_lines, gt_lines, tick: float = 5.0) -> dict:  # noqa: ANN001 - lists of point lists
    """cBAD-style precision and recall of one page (see the module docstring)."""
    hyp_pts = [resample(h, 1.0) for h in hyp_lines if len(h) >= 2]
    gt_pts = [resample(g, 1.0) for g in gt_lines if len(g) >= 2]
    if not gt_pts and not hyp_pts:
        return {"precision": 1.0, "recall": 1.0, "hyp": 0, "gt": 0}
    if not gt_pts or not hyp_pts:
        return {"precision": 0.0, "recall": 0.0, "hyp": len(hyp_pts), "gt": len(gt_pts)}
    gt_s = [resample(g, tick) for g in gt_lines if len(g) >= 2]
    hyp_s = [resample(h, tick) for h in hyp_lines if len(h) >= 2]
    gt = [_Near(g) for g in gt_pts]
    hyp = [_Near(h) for h in hyp_pts]
    tols = tolerances(gt_s, trees=gt)
    # recall: every ground-truth point against all hypotheses
    covered = total = 0.0
    for g, t in zip(gt_s, tols, strict=True):
        d = np.min([_dist_to(g, h) for h in hyp], axis=0)
        covered += coverage(d, t).sum()
        total += len(g)
    recall = covered / total
    # precision: each hypothesis against the single ground-truth line it is aligned with
    covered = total = 0.0
    for h in hyp_s:
        best = max(coverage(_dist_to(h, g), t).sum() for g, t in zip(gt, tols, strict=True))
        covered += best
        total += len(h)
    return {"precision": covered / total, "recall": recall, "hyp": len(hyp), "gt": len(gt)}


def f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r > 0 else 0.0


def polygon_matches(hyp_polys, gt_polys, threshold: float = 0.5) -> list[tuple[int, int, float]]:  # noqa: ANN001
    """One-to-one (hyp, gt, IoU) pairs with IoU ≥ threshold, greedily best first."""
    from shapely.geometry import Polygon

    def shape(p):  # noqa: ANN001, ANN202
        s = Polygon(p) if len(p) >= 3 else Polygon()
        return s if s.is_valid else s.buffer(0)

    hs, gs = [shape(p) for p in hyp_polys], [shape(p) for p in gt_polys]
    pairs = []
    for i, h in enumerate(hs):
        if h.is_empty:
            continue
        for j, g in enumerate(gs):
            if g.is_empty or not h.intersects(g):
                continue
            inter = h.intersection(g).area
            iou = inter / (h.area + g.area - inter)
            if iou >= threshold:
                pairs.append((iou, i, j))
    pairs.sort(reverse=True)
    used_h, used_g, out = set(), set(), []
    for iou, i, j in pairs:
        if i not in used_h and j not in used_g:
            used_h.add(i)
            used_g.add(j)
            out.append((i, j, iou))
    return out


def region_map(layout: PageLayout, w: int, h: int) -> np.ndarray:
    """Region type index per pixel (0 = none, 1.. = REGION_TYPES) on a w × h grid."""
    from PIL import Image, ImageDraw

    img = Image.new("L", (w, h), 0)
    d = ImageDraw.Draw(img)
    sx, sy = w / max(1, layout.width), h / max(1, layout.height)
    for r in sorted(layout.regions, key=lambda r: r.type == "main", reverse=True):  # main first, others on top
        if len(r.polygon) >= 3 and r.type in REGION_TYPES:
            d.polygon([(x * sx, y * sy) for x, y in r.polygon], fill=1 + REGION_TYPES.index(r.type))
    return np.asarray(img)


def evaluate_page(hyp: PageLayout, gt: PageLayout) -> dict:
    """All figures of one page (counts kept so that pages can be pooled)."""
    bl = baseline_pr([ln.baseline for ln in hyp.lines], [ln.baseline for ln in gt.lines])
    matches = polygon_matches([ln.polygon for ln in hyp.lines], [ln.polygon for ln in gt.lines])
    w, h = max(1, gt.width // 8), max(1, gt.height // 8)
    hm, gm = region_map(hyp, w, h), region_map(gt, w, h)
    area = (hm > 0) | (gm > 0)
    same_region = sum(1 for i, j, _ in matches
                      if _rtype(hyp, hyp.lines[i].region) == _rtype(gt, gt.lines[j].region))
    return {**bl, "poly_matches": len(matches), "poly_hyp": len(hyp.lines), "poly_gt": len(gt.lines),
            "mean_iou": float(np.mean([m[2] for m in matches])) if matches else 0.0,
            "region_pixels": int(area.sum()), "region_correct": int(((hm == gm) & area).sum()),
            "line_region_same": same_region}


def _rtype(layout: PageLayout, idx: int) -> str | None:
    return layout.regions[idx].type if 0 <= idx < len(layout.regions) else None


def summarise(pages: list[dict]) -> dict:
    """Pooled figures over pages: baseline P/R averaged per page (cBAD), the rest micro."""
    if not pages:
        return {}
    p = float(np.mean([x["precision"] for x in pages]))
    r = float(np.mean([x["recall"] for x in pages]))
    m = sum(x["poly_matches"] for x in pages)
    hyp, gt = sum(x["poly_hyp"] for x in pages), sum(x["poly_gt"] for x in pages)
    return {
        "pages": len(pages), "gt_lines": gt, "hyp_lines": hyp,
        "baseline_precision": round(p, 4), "baseline_recall": round(r, 4), "baseline_f1": round(f1(p, r), 4),
        "polygon_iou50_precision": round(m / hyp, 4) if hyp else 0.0,
        "polygon_iou50_recall": round(m / gt, 4) if gt else 0.0,
        "polygon_iou50_f1": round(2 * m / (hyp + gt), 4) if hyp + gt else 0.0,
        "polygon_mean_iou_of_matches": round(float(np.mean([x["mean_iou"] for x in pages if x["poly_matches"]]
                                                           or [0.0])), 4),
        "region_accuracy": round(sum(x["region_correct"] for x in pages) / max(1, sum(x["region_pixels"]
                                                                                   for x in pages)), 4),
        "line_region_type_accuracy": round(sum(x["line_region_same"] for x in pages) / m, 4) if m else 0.0,
    }
