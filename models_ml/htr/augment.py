"""Scan-like augmentation for line images at model height.

Each transform imitates one thing real scans of real hands do that clean training lines do
not: a writer's slant and size, a wavy baseline (elastic), a thicker or thinner pen, blur,
sensor noise, paper texture, ink bleeding through from the other side, and uneven lighting.
All work on float32 arrays in 0..1 (paper 1, ink 0) and keep the height, so a transform can
never break the line's label. They are cheap (a few ms for a 64×700 line on one core), since
they run for every line of every training step.
"""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter
from scipy import ndimage


def _resize_width(a: np.ndarray, new_w: int) -> np.ndarray:
    h = a.shape[0]
    return np.asarray(Image.fromarray(a, mode="F").resize((max(4, new_w), h), Image.BILINEAR), dtype=np.float32)


def slant(a: np.ndarray, rng: np.random.Generator, max_shear: float = 0.35) -> np.ndarray:
    """Shear horizontally (x += k·(y − centre)): a more upright or more sloping hand."""
    h, w = a.shape
    k = float(rng.uniform(-max_shear, max_shear))
    extra = int(np.ceil(abs(k) * h / 2))
    padded = np.pad(a, ((0, 0), (extra, extra)), constant_values=1.0)
    # PIL's affine maps output → input: x_in = x + k·(y − h/2)
    img = Image.fromarray(padded, mode="F").transform(
        padded.shape[::-1], Image.AFFINE, (1, k, -k * h / 2, 0, 1, 0), resample=Image.BILINEAR, fillcolor=1.0)
    return np.asarray(img, dtype=np.float32)


def scale_width(a: np.ndarray, rng: np.random.Generator, lo: float = 0.8, hi: float = 1.25) -> np.ndarray:
    """Narrower or wider writing."""
    return _resize_width(a, int(a.shape[1] * rng.uniform(lo, hi)))


def elastic(a: np.ndarray, rng: np.random.Generator, alpha: float = 2.5, cell: int = 24) -> np.ndarray:
    """Smooth random displacement: a wavy baseline and uneven letter shapes."""
    h, w = a.shape
    gh, gw = max(2, h // cell + 2), max(2, w // cell + 2)
    dy = ndimage.zoom(rng.normal(0, alpha, (gh, gw)), (h / gh, w / gw), order=1)[:h, :w]
    dx = ndimage.zoom(rng.normal(0, alpha, (gh, gw)), (h / gh, w / gw), order=1)[:h, :w]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    return ndimage.map_coordinates(a, (yy + dy, xx + dx), order=1, mode="constant", cval=1.0).astype(np.float32)


def stroke_width(a: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A broader (min filter: ink is dark) or a finer (max filter) pen."""
    img = Image.fromarray((np.clip(a, 0, 1) * 255).astype(np.uint8))
    img = img.filter(ImageFilter.MinFilter(3) if rng.random() < 0.55 else ImageFilter.MaxFilter(3))
    return np.asarray(img, dtype=np.float32) / 255.0


def blur(a: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return ndimage.gaussian_filter(a, rng.uniform(0.3, 1.0)).astype(np.float32)


def paper(a: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Tinted, blotchy paper: ink stays ink, the ground gets texture and a tone."""
    h, w = a.shape
    blotch = ndimage.zoom(rng.normal(0, 1, (max(2, h // 16), max(2, w // 16))),
                          (h / max(2, h // 16), w / max(2, w // 16)), order=1)[:h, :w]
    tone = rng.uniform(0.7, 1.0) + rng.uniform(0.0, 0.06) * blotch
    return (a * np.clip(tone, 0.4, 1.0)).astype(np.float32)


def bleed_through(a: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Faint mirrored writing from the back of the leaf."""
    ghost = a[:, ::-1]
    shift = int(rng.integers(-a.shape[0] // 4, a.shape[0] // 4 + 1))
    ghost = np.roll(ghost, shift, axis=0)
    strength = rng.uniform(0.1, 0.35)
    return np.minimum(a, 1.0 - strength * (1.0 - ghost)).astype(np.float32)


def uneven_light(a: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A brightness gradient along the line and a gamma: a scan lit from one side, faded ink."""
    h, w = a.shape
    ramp = np.linspace(rng.uniform(0.75, 1.0), rng.uniform(0.75, 1.0), w, dtype=np.float32)[None, :]
    out = 1.0 - (1.0 - a) * ramp
    return np.clip(out, 0, 1) ** rng.uniform(0.6, 1.6)


def noise(a: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return a + rng.normal(0, rng.uniform(0.01, 0.06), a.shape).astype(np.float32)


def vertical_jitter(a: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Looser or tighter crop at top and bottom (segmenters differ), back to the same height."""
    h, w = a.shape
    pt, pb = int(rng.integers(0, h // 8 + 1)), int(rng.integers(0, h // 8 + 1))
    if rng.random() < 0.5:
        b = np.pad(a, ((pt, pb), (0, 0)), constant_values=float(np.percentile(a, 90)))
    elif h - pt - pb > h // 2:
        b = a[pt: h - pb]
    else:
        return a
    img = Image.fromarray(np.ascontiguousarray(b), mode="F")
    return np.asarray(img.resize((max(4, int(w * h / b.shape[0])), h), Image.BILINEAR), dtype=np.float32)


# (transform, probability); applied in this order
PIPELINE = (
    (scale_width, 0.7), (slant, 0.5), (elastic, 0.4), (vertical_jitter, 0.3), (stroke_width, 0.25),
    (bleed_through, 0.12), (paper, 0.35), (uneven_light, 0.5), (blur, 0.2), (noise, 0.4),
)


def augment_line(arr: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One random draw of the scan-like pipeline on a model-height line (uint8 or float) → float 0..1."""
    a = arr.astype(np.float32) / 255.0 if arr.dtype == np.uint8 else arr.astype(np.float32)
    for fn, p in PIPELINE:
        if rng.random() < p:
            a = fn(a, rng)
    return np.clip(a, 0, 1).astype(np.float32)
