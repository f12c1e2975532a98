"""Whole synthetic pages: wrapped paragraphs in one hand, optional skew, ground-truth lines.

Each page is written as NAME.png, NAME.gt.txt (one line of text per text line, in
reading order) and NAME.json (per line: text, polygon, baseline, bbox), so pages can
test segmentation and end-to-end transcription.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from models_ml.synth.render import _font, _x_height_ratio, composite, font_charset, ink_rows, render_ink
from models_ml.synth.sources import fonts_for, word_stream


@dataclass
class PageLine:
    text: str
    polygon: list[tuple[int, int]]
    baseline: list[tuple[int, int]]
    bbox: tuple[int, int, int, int]


def _rotate_point(x: float, y: float, cx: float, cy: float, deg: float) -> tuple[int, int]:
    """Where PIL's ``rotate(deg)`` (counter-clockwise on screen) sends (x, y)."""
    t = math.radians(deg)
    dx, dy = x - cx, y - cy
    return int(round(cx + dx * math.cos(t) + dy * math.sin(t))), int(round(cy - dx * math.sin(t) + dy * math.cos(t)))


def render_page(rng: np.random.Generator, fonts: list[Path], words: tuple[str, ...], *,
                max_skew: float = 3.0, width: int | None = None, height: int | None = None,
                max_lines: int | None = None) -> tuple[Image.Image, list[PageLine]]:
    """Render one page of prose; returns the image and its lines in reading order."""
    W = width or int(rng.integers(1100, 1700))
    H = height or int(W * rng.uniform(1.25, 1.45))
    font = fonts[int(rng.integers(0, len(fonts)))]
    cs = font_charset(str(font))
    xh = float(rng.uniform(14, 22))
    size = max(8, int(round(xh / _x_height_ratio(str(font)))))
    pil_font = _font(str(font), size)
    spacing = xh * rng.uniform(3.4, 4.4)
    ml, mr = int(rng.uniform(0.05, 0.12) * W), int(rng.uniform(0.05, 0.12) * W)
    top = int(rng.uniform(0.06, 0.12) * H) + int(spacing)
    avail = W - ml - mr
    alpha = np.zeros((H, W), dtype=np.float32)
    start = int(rng.integers(0, max(1, len(words) - 5000)))
    pos = start
    y = float(top)
    lines: list[PageLine] = []
    para_left = int(rng.integers(4, 14))
    indent = True
    while y < H - int(rng.uniform(0.06, 0.1) * H) and (max_lines is None or len(lines) < max_lines):
        limit = avail - (int(2 * xh) if indent else 0)
        if para_left <= 1:  # last line of a paragraph: shorter
            limit = int(limit * rng.uniform(0.2, 0.8))
        line_words: list[str] = []
        while pos < len(words):
            w = "".join(c for c in words[pos] if c in cs)
            cand = " ".join(line_words + [w]) if w else " ".join(line_words)
            if line_words and pil_font.getlength(cand) * 1.08 > limit:
                break
            if w:
                line_words.append(w)
            pos += 1
        text = " ".join(line_words)
        if not text:
            break
        ink = render_ink(text, font, rng, x_height=xh, drift=0.25)
        x0, y0, x1, y1 = ink_rows(ink.alpha)
        bx = ml + (int(2 * xh) if indent else 0) + int(rng.normal(0, 0.2 * xh))
        by_local = ink.baseline[0][1]
        oy, ox = int(round(y - by_local)), bx - x0
        # paste ink (clipped to the page)
        ys0, xs0 = max(0, oy + y0), max(0, ox + x0)
        ys1, xs1 = min(H, oy + y1), min(W, ox + x1)
        if ys1 > ys0 and xs1 > xs0:
            region = alpha[ys0:ys1, xs0:xs1]
            np.maximum(region, ink.alpha[ys0 - oy: ys1 - oy, xs0 - ox: xs1 - ox], out=region)
            base = [(int(px + ox), int(py + oy)) for px, py in ink.baseline]
            base = [(min(max(px, xs0), xs1), py) for px, py in base]
            poly = [(xs0, ys0), (xs1, ys0), (xs1, ys1), (xs0, ys1)]
            lines.append(PageLine(text, poly, base, (xs0, ys0, xs1, ys1)))
        y += spacing * rng.uniform(0.95, 1.05)
        para_left -= 1
        indent = False
        if para_left <= 0:
            para_left = int(rng.integers(3, 14))
            indent = True
            if rng.random() < 0.3:
                y += spacing * 0.5
    skew = float(rng.uniform(-max_skew, max_skew)) if max_skew > 0 else 0.0
    if abs(skew) > 0.05:
        img = Image.fromarray((alpha * 255).astype(np.uint8)).rotate(skew, resample=Image.BILINEAR,
                                                                      center=(W / 2, H / 2))
        alpha = np.asarray(img, dtype=np.float32) / 255.0
        rot = []
        for ln in lines:
            poly = [_rotate_point(px, py, W / 2, H / 2, skew) for px, py in ln.polygon]
            base = [_rotate_point(px, py, W / 2, H / 2, skew) for px, py in ln.baseline]
            xs, ys = [p[0] for p in poly], [p[1] for p in poly]
            rot.append(PageLine(ln.text, poly, base, (min(xs), min(ys), max(xs), max(ys))))
        lines = rot
    return composite(alpha, rng), lines


def write_pages(out_dir: Path, n: int, fonts: str, texts: str, seed: int, skew: float = 3.0) -> list[Path]:
    """Write ``n`` pages as NAME.png + NAME.gt.txt + NAME.json."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    font_list = fonts_for(fonts)
    words = word_stream(texts)
    paths = []
    for i in range(n):
        img, lines = render_page(rng, font_list, words, max_skew=skew)
        name = f"page-{seed:04d}-{i:04d}"
        img.save(out_dir / f"{name}.png")
        (out_dir / f"{name}.gt.txt").write_text("\n".join(ln.text for ln in lines) + "\n", encoding="utf-8")
        (out_dir / f"{name}.json").write_text(json.dumps({"image": f"{name}.png", "lines": [
            {"text": ln.text, "polygon": ln.polygon, "baseline": ln.baseline, "bbox": ln.bbox} for ln in lines]}),
            encoding="utf-8")
        paths.append(out_dir / f"{name}.png")
    return paths
