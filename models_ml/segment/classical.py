"""The classical segmenter: page → text lines (polygon + baseline), one column, no training.

Kept as the fallback of the trained segmenter (``segment.api``, ``--segmenter classical``).

Steps, each chosen to be robust rather than clever:
1. background normalisation (divide by a smoothed local maximum) against uneven paper;
2. skew estimate: the angle whose ink projection profile is sharpest;
3. in the deskewed frame, line centres are peaks of the smoothed row profile and line
   limits are the profile minima between them; each line is tightened to its ink;
4. boxes and baselines are rotated back into page coordinates.
"""
from __future__ import annotations

import math

import numpy as np
from PIL import Image

from models_ml.segment.lines import SegmentedLine


def _ink_map(image: Image.Image) -> np.ndarray:
    """Ink strength 0..1 after dividing out the paper's low-frequency shading."""
    from scipy.ndimage import gaussian_filter, maximum_filter

    grey = image.convert("L")
    arr = np.asarray(grey, dtype=np.float32) / 255.0
    if np.median(arr) < 0.45:  # light ink on dark ground
        arr = 1.0 - arr
    h, w = arr.shape
    f = 4
    small = np.asarray(grey.resize((max(1, w // f), max(1, h // f)), Image.BILINEAR), dtype=np.float32) / 255.0
    if np.median(arr) < 0.45:
        small = 1.0 - small
    bg = gaussian_filter(maximum_filter(small, size=9), 4)
    bg = np.asarray(Image.fromarray(bg, mode="F").resize((w, h), Image.BILINEAR), dtype=np.float32)
    ink = 1.0 - arr / np.maximum(bg, 0.05)
    return np.clip(ink, 0.0, 1.0)


def _binarise(ink: np.ndarray) -> np.ndarray:
    """Otsu threshold on the ink map (at least 0.15 so paper grain stays out)."""
    hist, edges = np.histogram(ink, bins=64, range=(0, 1))
    p = hist / max(1, hist.sum())
    omega, mu = np.cumsum(p), np.cumsum(p * (edges[:-1] + edges[1:]) / 2)
    var = (mu[-1] * omega - mu) ** 2 / np.maximum(omega * (1 - omega), 1e-9)
    t = float(edges[int(np.nanargmax(var)) + 1])
    return ink > max(0.15, min(t, 0.6))


def estimate_skew(binary: np.ndarray, max_angle: float = 8.0) -> float:
    """Angle (degrees, counter-clockwise) that makes the row profile sharpest."""
    ys, xs = np.nonzero(binary)
    if len(ys) < 50:
        return 0.0
    if len(ys) > 200_000:
        pick = np.random.default_rng(0).choice(len(ys), 200_000, replace=False)
        ys, xs = ys[pick], xs[pick]
    ys, xs = ys.astype(np.float64), xs.astype(np.float64) - binary.shape[1] / 2

    def score(angle: float) -> float:
        t = math.radians(angle)
        p = ys * math.cos(t) + xs * math.sin(t)
        hist = np.bincount((p - p.min()).astype(np.int64))
        return float((hist.astype(np.float64) ** 2).sum())

    best = max(np.arange(-max_angle, max_angle + 1e-9, 0.5), key=score)
    best = max(np.arange(best - 0.5, best + 0.5 + 1e-9, 0.1), key=score)
    return float(round(best, 2))


def _rot(x: float, y: float, cx: float, cy: float, deg: float) -> tuple[int, int]:
    """Where PIL's ``rotate(deg)`` about (cx, cy) sends (x, y)."""
    t = math.radians(deg)
    dx, dy = x - cx, y - cy
    return int(round(cx + dx * math.cos(t) + dy * math.sin(t))), int(round(cy - dx * math.sin(t) + dy * math.cos(t)))


def _find_bands(profile: np.ndarray) -> tuple[list[tuple[int, int, int]], float]:
    """(top, peak, bottom) rows of text lines from a row profile; also the x-height."""
    from scipy.ndimage import gaussian_filter1d
    from scipy.signal import find_peaks

    if profile.max() <= 0:
        return [], 0.0
    # x-height from the autocorrelation-free heuristic: width of the strongest peak at half height
    rough = gaussian_filter1d(profile, 2)
    top = int(rough.argmax())
    half = rough[top] / 2
    lo, hi = top, top
    while lo > 0 and rough[lo] > half:
        lo -= 1
    while hi < len(rough) - 1 and rough[hi] > half:
        hi += 1
    xh = float(max(6, hi - lo))
    smooth = gaussian_filter1d(profile, max(1.5, xh / 3))
    peaks, _ = find_peaks(smooth, distance=max(3, int(xh * 1.4)), prominence=smooth.max() * 0.06)
    bands = []
    for i, p in enumerate(peaks):
        a = peaks[i - 1] if i else max(0, p - int(3 * xh))
        b = peaks[i + 1] if i + 1 < len(peaks) else min(len(smooth) - 1, p + int(3 * xh))
        t0 = a + int(np.argmin(smooth[a: p + 1])) if i else a
        t1 = p + int(np.argmin(smooth[p: b + 1])) if i + 1 < len(peaks) else b
        bands.append((t0, int(p), t1))
    return bands, xh


def segment_page_classical(image: Image.Image) -> list[SegmentedLine]:
    """Text lines of a page image, top to bottom, as polygons and baselines."""
    if image.width < 8 or image.height < 8:
        return []
    ink = _ink_map(image)
    binary = _binarise(ink)
    angle = estimate_skew(binary)
    h, w = binary.shape
    cx, cy = w / 2, h / 2
    if abs(angle) > 0.05:
        rotated = Image.fromarray(binary.astype(np.uint8) * 255).rotate(-angle, resample=Image.NEAREST,
                                                                          center=(cx, cy))
        straight = np.asarray(rotated) > 127
    else:
        straight = binary
    profile = straight.sum(axis=1).astype(np.float64)
    bands, xh = _find_bands(profile)
    lines: list[SegmentedLine] = []
    for t0, peak, t1 in bands:
        band = straight[t0: t1 + 1]
        rows = band.sum(axis=1)
        if rows.max() < 3:
            continue
        on = np.nonzero(rows >= max(1, 0.03 * rows.max()))[0]
        y0, y1 = t0 + int(on[0]), t0 + int(on[-1]) + 1
        cols = straight[max(t0, peak - int(xh)): min(t1 + 1, peak + int(xh)) + 1].sum(axis=0)
        xs_on = np.nonzero(cols > 0)[0]
        if len(xs_on) == 0:
            continue
        # drop isolated specks far left/right of the text: keep the run with most ink
        gaps = np.nonzero(np.diff(xs_on) > 6 * xh)[0]
        runs = np.split(xs_on, gaps + 1)
        run = max(runs, key=lambda r: cols[r].sum())
        x0, x1 = int(run[0]), int(run[-1]) + 1
        if x1 - x0 < xh * 0.8 or (y1 - y0) < xh * 0.5:
            continue
        # baseline: lowest row below the peak that is still part of the x-height body
        below = rows[peak - t0:]
        cut = np.nonzero(below < 0.3 * rows[peak - t0])[0]
        base_y = peak + (int(cut[0]) if len(cut) else len(below) - 1)
        pad = int(round(0.25 * xh))
        bx0, by0, bx1, by1 = max(0, x0 - pad), max(0, y0 - pad), min(w, x1 + pad), min(h, y1 + pad)
        corners = [(bx0, by0), (bx1, by0), (bx1, by1), (bx0, by1)]
        poly = [_rot(px, py, cx, cy, angle) for px, py in corners]
        base = [_rot(px, base_y, cx, cy, angle) for px in (x0, x1)]
        xs, ys = [p[0] for p in poly], [p[1] for p in poly]
        bbox = (max(0, min(xs)), max(0, min(ys)), min(w, max(xs)), min(h, max(ys)))
        lines.append(SegmentedLine(polygon=poly, baseline=base, bbox=bbox, angle=angle))
    return lines
