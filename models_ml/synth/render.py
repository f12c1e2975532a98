"""Render text as synthetic handwriting: ink layer first, then paper, blur and noise.

Glyphs are drawn one by one so each can jitter; the line then gets baseline drift,
slant, stroke-width change and an elastic warp.  Digits can be real MNIST handwriting.
Ink is kept as an alpha layer (float 0..1) so lines and pages share the same code.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from models_ml.synth.sources import LATIN_CHARSET, mnist_digits

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


@functools.lru_cache(maxsize=512)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


@functools.lru_cache(maxsize=64)
def font_charset(path: str) -> frozenset[str]:
    """Characters of the Latin charset the font really draws (not .notdef, not empty)."""
    font = _font(path, 40)
    notdef = font.getmask("\ue000")
    notdef_key = (notdef.size, bytes(notdef))
    ok = {" "}
    for ch in LATIN_CHARSET:
        if ch == " ":
            continue
        mask = font.getmask(ch)
        if mask.getbbox() is None:
            continue
        if (mask.size, bytes(mask)) == notdef_key:
            continue
        ok.add(ch)
    return frozenset(ok)


@functools.lru_cache(maxsize=64)
def _x_height_ratio(path: str) -> float:
    font = _font(path, 100)
    box = font.getbbox("x", anchor="ls")
    h = -box[1] if box else 50
    return max(0.2, min(0.8, h / 100.0))


@dataclass
class Ink:
    """An ink alpha layer with the line's baseline (x, y) points in its own pixels."""

    alpha: np.ndarray  # float32 H×W, 1 = full ink
    baseline: list[tuple[float, float]]
    x_height: float


def supported_text(text: str, font_path: Path) -> bool:
    cs = font_charset(str(font_path))
    return all(c in cs for c in text)


def _mnist_glyph(digit: str, height: int, rng: np.random.Generator, split: str = "train") -> np.ndarray:
    images, labels = mnist_digits(None, split)
    idx = np.flatnonzero(labels == int(digit))
    img = images[int(rng.choice(idx))]
    ys, xs = np.nonzero(img > 30)
    img = img[ys.min(): ys.max() + 1, xs.min(): xs.max() + 1]
    h, w = img.shape
    new_w = max(2, int(round(w * height / h * rng.uniform(0.8, 1.1))))
    glyph = Image.fromarray(img).resize((new_w, height), Image.BILINEAR)
    return np.asarray(glyph, dtype=np.float32) / 255.0


def render_ink(text: str, font_path: Path, rng: np.random.Generator, *,
               x_height: float | None = None, mnist_p: float = 0.0, drift: float = 1.0,
               mnist_split: str = "train") -> Ink:
    """Draw ``text`` glyph by glyph with jitter, drift, slant, stroke change and warp."""
    path = str(font_path)
    xh = x_height or float(rng.uniform(14, 24))
    size = max(8, int(round(xh / _x_height_ratio(path))))
    font = _font(path, size)
    ascent, descent = font.getmetrics()
    cap_h = xh * 1.45
    use_mnist = rng.random() < mnist_p
    spacing = rng.uniform(-0.04, 0.12) * xh
    jitter_y = rng.uniform(0.0, 0.07) * xh
    jitter_x = rng.uniform(0.0, 0.06) * xh
    stroke = int(rng.choice([0, 0, 0, 1])) if size > 30 else 0
    word_gap = rng.uniform(0.8, 1.6)

    # Advance per glyph first to size the canvas.
    advances = []
    for ch in text:
        adv = font.getlength(ch) if ch != " " else font.getlength(" ") * word_gap
        advances.append(max(1.0, adv + spacing))
    width = int(sum(advances) + 4 * size)
    height = int((ascent + descent) * 1.6 + 2 * xh)
    canvas = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(canvas)
    base0 = height * 0.62
    # ``drift`` < 1 on pages: neighbouring lines must not run into each other.
    amp = rng.uniform(0, 0.25) * xh * drift
    period = rng.uniform(8, 30) * xh
    phase = rng.uniform(0, 2 * np.pi)
    slope = rng.uniform(-0.015, 0.015) * drift
    arr_extra = np.zeros((height, width), dtype=np.float32)

    def base_y(x: float) -> float:
        return base0 + amp * np.sin(2 * np.pi * x / period + phase) + slope * x

    x = float(size)
    for ch, adv in zip(text, advances, strict=False):
        if ch != " ":
            gx = x + rng.normal(0, jitter_x)
            gy = base_y(x) + rng.normal(0, jitter_y)
            if use_mnist and ch.isdigit():
                glyph = _mnist_glyph(ch, max(6, int(cap_h * rng.uniform(0.9, 1.15))), rng, mnist_split)
                gh, gw = glyph.shape
                top, left = int(gy) - gh, int(gx)
                if top >= 0 and left + gw < width:
                    region = arr_extra[top: top + gh, left: left + gw]
                    np.maximum(region, glyph, out=region)
                adv = gw + 0.15 * xh
            else:
                draw.text((gx, gy), ch, font=font, fill=255, anchor="ls", stroke_width=stroke,
                          stroke_fill=255)
        x += adv
    ink = np.maximum(np.asarray(canvas, dtype=np.float32) / 255.0, arr_extra)
    end_x = x
    # Crop to the ink plus room for slant and warp: the warp is the costly step.
    bx0, by0, bx1, by1 = ink_rows(ink, 0.05)
    pad_y, pad_x = int(0.8 * xh) + 2, int(0.5 * xh + 0.4 * (by1 - by0)) + 2
    cy0, cx0 = max(0, by0 - pad_y), max(0, bx0 - pad_x)
    ink = ink[cy0: by1 + pad_y, cx0: bx1 + pad_x]
    base0 -= cy0
    shift_x, shift_y = cx0, cy0

    # Thicken strokes sometimes; thin fonts are never eroded (they would vanish).
    if rng.random() < 0.2:
        ink = np.asarray(Image.fromarray((ink * 255).astype(np.uint8)).filter(ImageFilter.MaxFilter(3)),
                         dtype=np.float32) / 255.0

    # Slant: shear around the mean baseline.
    shear = rng.uniform(-0.35, 0.35) if rng.random() < 0.7 else 0.0
    if abs(shear) > 1e-3:
        img = Image.fromarray((ink * 255).astype(np.uint8))
        # output (x, y) samples input (x + shear*(y - base0), y)
        img = img.transform(img.size, Image.AFFINE, (1, shear, -shear * base0, 0, 1, 0),
                            resample=Image.BILINEAR)
        ink = np.asarray(img, dtype=np.float32) / 255.0

    if rng.random() < 0.6:
        ink = elastic(ink, rng, alpha=rng.uniform(0.5, 2.0) * xh / 16, sigma_cells=xh * 1.2)

    baseline = [(float(px - shift_x), float(base_y(px) - shift_y)) for px in np.linspace(size, end_x, 8)]
    return Ink(alpha=ink, baseline=baseline, x_height=xh)


def elastic(arr: np.ndarray, rng: np.random.Generator, alpha: float, sigma_cells: float) -> np.ndarray:
    """Smooth random displacement (coarse noise upsampled bicubically), then resample."""
    from scipy.ndimage import map_coordinates

    h, w = arr.shape
    cell = max(4, int(sigma_cells))
    gh, gw = max(2, h // cell + 2), max(2, w // cell + 2)
    fields = []
    for _ in range(2):
        coarse = rng.normal(0, 1, (gh, gw)).astype(np.float32)
        fine = np.asarray(Image.fromarray(coarse, mode="F").resize((w, h), Image.BICUBIC))
        fields.append(fine * alpha)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    out = map_coordinates(arr, [yy + fields[0], xx + fields[1]], order=1, mode="constant")
    return np.clip(out, 0, 1).astype(np.float32)


def paper(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """Uneven paper: base tone, low-frequency shading and fibre-like grain."""
    base = rng.uniform(0.78, 0.98)
    gh, gw = max(2, h // 64 + 2), max(2, w // 64 + 2)
    coarse = rng.normal(0, 1, (gh, gw)).astype(np.float32)
    shade = np.asarray(Image.fromarray(coarse, mode="F").resize((w, h), Image.BICUBIC))
    page = base + shade * rng.uniform(0.0, 0.06)
    if rng.random() < 0.5:  # a gradient, as from a curled page or uneven light
        gx = np.linspace(0, 1, w, dtype=np.float32)[None, :] * rng.uniform(-0.15, 0.15)
        gy = np.linspace(0, 1, h, dtype=np.float32)[:, None] * rng.uniform(-0.1, 0.1)
        page = page + gx + gy
    grain = rng.normal(0, rng.uniform(0.0, 0.04), (h, w)).astype(np.float32)
    return np.clip(page + grain, 0.35, 1.0).astype(np.float32)


def composite(alpha: np.ndarray, rng: np.random.Generator, blur: bool = True) -> Image.Image:
    """Ink on paper with ink level, blur and sensor noise; returns a greyscale image."""
    h, w = alpha.shape
    ink_tone = rng.uniform(0.0, 0.3)
    level = rng.uniform(0.75, 1.0)
    if rng.random() < 0.3:  # patchy ink as from a drying pen
        gh, gw = max(2, h // 24 + 2), max(2, w // 24 + 2)
        patch = np.asarray(Image.fromarray(rng.uniform(0.6, 1.0, (gh, gw)).astype(np.float32), mode="F")
                           .resize((w, h), Image.BILINEAR))
        alpha = alpha * patch
    a = np.clip(alpha * level, 0, 1)
    bg = paper(h, w, rng)
    out = bg * (1 - a) + ink_tone * a
    img = Image.fromarray(np.clip(out * 255, 0, 255).astype(np.uint8))
    if blur and rng.random() < 0.5:
        img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.2)))
    if rng.random() < 0.5:
        arr = np.asarray(img, dtype=np.float32) + rng.normal(0, rng.uniform(2, 10), (h, w))
        img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    return img


def ink_rows(alpha: np.ndarray, thresh: float = 0.2) -> tuple[int, int, int, int]:
    """Bounding box (x0, y0, x1, y1) of ink, exclusive ends."""
    ys, xs = np.nonzero(alpha > thresh)
    if len(ys) == 0:
        return 0, 0, alpha.shape[1], alpha.shape[0]
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def number_text(rng: np.random.Generator) -> str:
    """Dates, folio numbers and sums, as archives are full of them."""
    kind = rng.integers(0, 7)
    d, m, y = int(rng.integers(1, 29)), int(rng.integers(1, 13)), int(rng.integers(1600, 1999))
    if kind == 0:
        return f"{d} {MONTHS[m - 1]} {y}"
    if kind == 1:
        return f"{d}/{m}/{y}"
    if kind == 2:
        return f"fol. {rng.integers(1, 400)}" + ("r" if rng.random() < 0.5 else "v")
    if kind == 3:
        a, b = int(rng.integers(1, 999)), int(rng.integers(1, 999))
        return f"{a} + {b} = {a + b}"
    if kind == 4:
        return f"No. {rng.integers(1, 9999)}, p. {rng.integers(1, 600)}"
    if kind == 5:
        return f"{MONTHS[m - 1]} {d}, {y}. Received {rng.integers(2, 500)} pounds."
    return " ".join(str(rng.integers(0, 10 ** int(rng.integers(1, 5)))) for _ in range(rng.integers(2, 6)))


def sample_text(words: tuple[str, ...], rng: np.random.Generator, min_chars: int, max_chars: int) -> str:
    """A run of consecutive words from the corpus, between min and max characters."""
    target = int(rng.integers(min_chars, max_chars + 1))
    start = int(rng.integers(0, max(1, len(words) - 200)))
    out: list[str] = []
    length = 0
    for w in words[start: start + 200]:
        if length + len(w) + (1 if out else 0) > target and out:
            break
        out.append(w)
        length += len(w) + (1 if len(out) > 1 else 0)
    text = " ".join(out)[:max_chars].strip()
    return text or "the"


def render_line(text: str, font_path: Path, rng: np.random.Generator, *, mnist_p: float = 0.0,
                context_p: float = 0.3, target_height: int | None = None, mnist_split: str = "train") -> Image.Image:
    """One line image, cropped like a segmenter would crop it (ink box + margins).

    With ``context_p`` strokes of the neighbouring lines intrude at the top/bottom edge,
    as they do in crops from real pages.
    """
    ink = render_ink(text, font_path, rng, mnist_p=mnist_p, mnist_split=mnist_split)
    alpha = ink.alpha
    x0, y0, x1, y1 = ink_rows(alpha)
    xh = ink.x_height
    mt = int(rng.uniform(0.05, 0.6) * xh)
    mb = int(rng.uniform(0.05, 0.6) * xh)
    ml = int(rng.uniform(0.1, 1.5) * xh)
    mr = int(rng.uniform(0.1, 1.5) * xh)
    h = (y1 - y0) + mt + mb
    w = (x1 - x0) + ml + mr
    out = np.zeros((h, w), dtype=np.float32)
    out[mt: mt + (y1 - y0), ml: ml + (x1 - x0)] = alpha[y0:y1, x0:x1]
    if rng.random() < context_p:
        for side in ("top", "bottom"):
            if rng.random() < 0.5:
                continue
            other = render_ink(sample_text(("the", "ladies", "shall", "gentle", "Sir", "by", "yet"), rng, 10, 40),
                               font_path, rng, x_height=xh)
            ox0, oy0, ox1, oy1 = ink_rows(other.alpha)
            depth = int(rng.uniform(0.05, 0.45) * xh)
            strip = other.alpha[oy1 - depth: oy1, ox0:ox1] if side == "top" else other.alpha[oy0: oy0 + depth, ox0:ox1]
            sw = min(w, strip.shape[1])
            off = int(rng.integers(0, max(1, w - sw + 1)))
            if side == "top":
                region = out[:depth, off: off + sw]
                np.maximum(region, strip[: region.shape[0], :sw], out=region)
            else:
                region = out[h - depth:, off: off + sw]
                np.maximum(region, strip[-region.shape[0]:, :sw] if region.shape[0] else region, out=region)
    img = composite(out, rng)
    if target_height:
        new_w = max(1, int(round(img.width * target_height / img.height)))
        img = img.resize((new_w, target_height), Image.BILINEAR)
    return img
