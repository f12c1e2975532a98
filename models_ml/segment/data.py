"""Training pages for the segmenter: scaled image + label maps, and augmented crops.

A page is kept once, at network scale, as an ink map (ink 1, paper 0, so padding is
paper) and its label maps at half that scale: baselines drawn 2 pixels wide, and a filled
mask per region type. Crops are taken with one affine ``grid_sample`` per batch (random
zoom, rotation and position), so augmentation costs little on one CPU thread.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

from models_ml.segment.layout import REGION_TYPES, PageLayout, read_alto
from models_ml.segment.model import SegConfig


def network_size(width: int, height: int, cfg: SegConfig) -> tuple[float, int, int]:
    """Scale factor and the (even) network input size of a page."""
    s = cfg.scale
    long_side = max(width, height) * s
    if long_side > cfg.max_side:
        s *= cfg.max_side / long_side
    elif long_side < cfg.min_side:
        s *= cfg.min_side / long_side
    w, h = max(2, int(round(width * s / 2)) * 2), max(2, int(round(height * s / 2)) * 2)
    return s, w, h


def ink_array(image: Image.Image, w: int, h: int) -> np.ndarray:
    """Ink strength 0..1 (paper 0) of the page resized to w × h, contrast-stretched."""
    grey = image.convert("L")
    if (grey.width, grey.height) != (w, h):
        grey = grey.resize((w, h), Image.BOX if grey.width > w else Image.BILINEAR)
    arr = np.asarray(grey, dtype=np.float32) / 255.0
    lo, hi = np.percentile(arr, 1), np.percentile(arr, 99)
    if hi - lo > 0.05:
        arr = np.clip((arr - lo) / (hi - lo), 0.0, 1.0)
    return 1.0 - arr


def label_maps(layout: PageLayout, sx: float, sy: float, w: int, h: int) -> np.ndarray:
    """(1 + len(REGION_TYPES), h, w) uint8 maps: baselines, then one filled mask per region type."""
    out = np.zeros((1 + len(REGION_TYPES), h, w), np.uint8)
    base = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(base)
    for ln in layout.lines:
        pts = [(x * sx, y * sy) for x, y in ln.baseline]
        if len(pts) >= 2:
            draw.line(pts, fill=255, width=2)
    out[0] = np.asarray(base) > 127
    for k, rtype in enumerate(REGION_TYPES):
        mask = Image.new("L", (w, h), 0)
        d = ImageDraw.Draw(mask)
        for r in layout.regions:
            if r.type == rtype and len(r.polygon) >= 3:
                d.polygon([(x * sx, y * sy) for x, y in r.polygon], fill=255)
        out[1 + k] = np.asarray(mask) > 127
    return out


@dataclass
class TrainPage:
    name: str
    ink: torch.Tensor      # (1, H, W) float16 at network scale
    labels: torch.Tensor   # (C, H/2, W/2) uint8


def load_page(xml_path: Path, cfg: SegConfig, image_path: Path | None = None) -> TrainPage:
    """ALTO + its image (same stem, .jpg/.png/.tif, or ``image_path``) as a training page."""
    layout = read_alto(xml_path)
    img_path = image_path or find_image(xml_path, layout.image)
    with Image.open(img_path) as im:
        im.load()
        width, height = im.size
        if not layout.width or not layout.height:
            layout.width, layout.height = width, height
        _, w, h = network_size(width, height, cfg)
        ink = ink_array(im, w, h)
    # ALTO coordinates are in the ALTO page's pixels; the image may differ in size
    sx, sy = (w / 2) / layout.width, (h / 2) / layout.height
    labels = label_maps(layout, sx, sy, w // 2, h // 2)
    return TrainPage(xml_path.stem, torch.from_numpy(ink).to(torch.float16)[None], torch.from_numpy(labels))


def find_image(xml_path: Path, named: str | None) -> Path:
    cands = [xml_path.with_name(named)] if named else []
    cands += [xml_path.with_suffix(ext) for ext in (".jpg", ".jpeg", ".png", ".tif", ".tiff")]
    for c in cands:
        if c.is_file():
            return c
    raise FileNotFoundError(f"no image found for {xml_path}")


def sample_batch(pages: list[TrainPage], n: int, crop: int, rng: np.random.Generator,
                 augment: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` crops (network input ``crop`` px, labels ``crop/2``) with zoom/rotation/photometric noise."""
    import torch.nn.functional as F

    xs, ys = [], []
    for _ in range(n):
        p = pages[int(rng.integers(len(pages)))]
        _, H, W = p.ink.shape
        zoom = float(np.exp(rng.uniform(math.log(0.75), math.log(1.3)))) if augment else 1.0
        rot = math.radians(float(rng.uniform(-4, 4))) if augment else 0.0
        half = crop / 2 / zoom
        cx = rng.uniform(-1 + min(1.0, half / W), 1 - min(1.0, half / W)) if W > 2 * half else 0.0
        cy = rng.uniform(-1 + min(1.0, half / H), 1 - min(1.0, half / H)) if H > 2 * half else 0.0
        c, s = math.cos(rot), math.sin(rot)
        theta = torch.tensor([[[c * half / (W / 2), -s * half / (W / 2), cx],
                               [s * half / (H / 2), c * half / (H / 2), cy]]], dtype=torch.float32)
        gi = F.affine_grid(theta, [1, 1, crop, crop], align_corners=False)
        gl = F.affine_grid(theta, [1, 1, crop // 2, crop // 2], align_corners=False)
        xs.append(F.grid_sample(p.ink[None].float(), gi, align_corners=False))
        ys.append(F.grid_sample(p.labels[None].float(), gl, align_corners=False))
    x = torch.cat(xs)
    y = torch.cat(ys).clamp(0, 1)
    if augment:
        x = _photometric(x, rng)
    return 1.0 - x, y


def _photometric(ink: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """Contrast, gamma, paper shade, blur and noise, per crop."""
    import torch.nn.functional as F

    out = []
    for t in ink:
        t = t.clamp(0, 1) ** float(rng.uniform(0.6, 1.6))
        t = t * float(rng.uniform(0.6, 1.2)) + float(rng.uniform(0.0, 0.15))
        if rng.random() < 0.3:
            t = F.avg_pool2d(t[None], 3, stride=1, padding=1, count_include_pad=False)[0]
        t = t + torch.randn_like(t) * float(rng.uniform(0.0, 0.06))
        out.append(t.clamp(0, 1))
    return torch.stack(out)
