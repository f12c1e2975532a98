"""Line data for the recognizer: charset, preprocessing, augmentation and width-bucketed batches.

Preprocessing is shared by training and inference (one function) so the model sees
the same normalisation in both: grey, ink dark on light, fixed height, contrast
stretched between paper and ink.
"""
from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from models_ml.htr.widthnorm import WidthNorm

MAX_WIDTH = 1600  # pixels at model height; longer lines are squeezed


class Charset:
    """Characters ↔ class indices; index 0 is the CTC blank."""

    def __init__(self, chars: str) -> None:
        if len(set(chars)) != len(chars):
            raise ValueError("charset has duplicate characters")
        self.chars = chars
        self.index = {c: i + 1 for i, c in enumerate(chars)}

    def __len__(self) -> int:
        return len(self.chars) + 1

    def encode(self, text: str) -> list[int]:
        return [self.index[c] for c in text if c in self.index]

    def decode(self, ids: Sequence[int]) -> str:
        return "".join(self.chars[i - 1] for i in ids if 0 < i <= len(self.chars))


def to_grey_array(img: Image.Image) -> np.ndarray:
    """Any PIL image → float32 grey in [0,1], ink dark on light (inverted if needed)."""
    if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(bg, rgba)
    grey = np.asarray(img.convert("L"))
    arr = grey.astype(np.float32) / 255.0
    # The median of the bytes, not of the floats: the same decision (no byte median lies within float error of
    # 0.45 × 255), at a quarter of the memory the partition walks. This runs for every line of every job.
    if grey.size and np.median(grey) < 0.45 * 255:  # light ink on dark ground (e.g. MNIST-like)
        arr = 1.0 - arr
    return arr


def normalise(arr: np.ndarray, height: int) -> np.ndarray:
    """Resize to ``height`` keeping aspect, then stretch contrast paper→1, ink→0."""
    h, w = arr.shape
    new_w = int(round(w * height / max(1, h)))
    new_w = max(4, min(MAX_WIDTH, new_w))
    img = Image.fromarray(arr, mode="F").resize((new_w, height), Image.BILINEAR)
    out = np.asarray(img, dtype=np.float32)
    lo, hi = np.percentile(out, 2), np.percentile(out, 90)
    if hi - lo > 0.08:
        out = (out - lo) / (hi - lo)
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def preprocess(img: Image.Image, height: int, width_norm: WidthNorm | None = None) -> np.ndarray:
    """PIL line image → normalised (height, W) float32 array for the model.

    With ``width_norm`` (a model card's ``preprocessing.width_norm``) compact writing is stretched
    to the model's stroke period after the height is set.
    """
    if img.width < 1 or img.height < 1:
        raise ValueError("empty image")
    arr = normalise(to_grey_array(img), height)
    return width_norm.apply(arr, MAX_WIDTH) if width_norm else arr


def augment(arr: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Cheap on-the-fly augmentation on a model-height uint8/float line (0..1 float out)."""
    a = arr.astype(np.float32) / 255.0 if arr.dtype == np.uint8 else arr.astype(np.float32)
    h, w = a.shape
    img = Image.fromarray(a, mode="F")
    if rng.random() < 0.8:  # writing width / scale
        sx = rng.uniform(0.8, 1.25)
        img = img.resize((max(4, int(w * sx)), h), Image.BILINEAR)
    if rng.random() < 0.3:  # looser or tighter vertical crop
        pt, pb = int(rng.integers(0, 5)), int(rng.integers(0, 5))
        if rng.random() < 0.5:
            padded = Image.new("F", (img.width, h + pt + pb), float(np.percentile(a, 90)))
            padded.paste(img, (0, pt))
            img = padded
        elif h - pt - pb > h // 2:
            img = img.crop((0, pt, img.width, h - pb))
        img = img.resize((max(4, int(img.width * h / img.height)), h), Image.BILINEAR)
    out = np.asarray(img, dtype=np.float32)
    if rng.random() < 0.15:
        out = np.asarray(Image.fromarray((np.clip(out, 0, 1) * 255).astype(np.uint8))
                         .filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.8))), dtype=np.float32) / 255.0
    if rng.random() < 0.5:  # contrast / gamma
        out = np.clip(out, 0, 1) ** rng.uniform(0.6, 1.6)
    if rng.random() < 0.4:
        out = out + rng.normal(0, rng.uniform(0.01, 0.06), out.shape).astype(np.float32)
    return np.clip(out, 0, 1)


class LineSet:
    """Lines held in memory as uint8 arrays at model height, with their texts."""

    def __init__(self, height: int, width_norm: WidthNorm | None = None) -> None:
        self.height = height
        self.width_norm = width_norm  # applied to every line added, as the model will read them
        self.images: list[np.ndarray] = []
        self.texts: list[str] = []
        self.repeats: list[int] = []  # times a line is drawn per epoch (real lines can outweigh synthetic)
        self.sources: set[str] = set()

    def __len__(self) -> int:
        return len(self.images)

    def add(self, arr: np.ndarray, text: str, repeat: int = 1) -> None:
        if arr.dtype != np.uint8:
            arr = (np.clip(arr, 0, 1) * 255).astype(np.uint8)
        if self.width_norm:
            arr = self.width_norm.apply(arr, MAX_WIDTH)
        self.images.append(arr)
        self.texts.append(text)
        self.repeats.append(max(1, int(repeat)))

    def epoch_indices(self) -> list[int]:
        """Every line once per repeat: the draw order of one epoch, before shuffling."""
        return [i for i, r in enumerate(self.repeats) for _ in range(r)]

    def load_shards(self, folder: Path) -> int:
        """Add npz shards not loaded yet (a renderer may still be writing more).

        Shards rendered at another height are resized to this set's height, so one pool serves
        models of any input height.
        """
        added = 0
        for path in sorted(folder.glob("shard-*.npz")):
            if path.name.endswith(".tmp.npz") or str(path) in self.sources:
                continue
            with np.load(path) as z:
                pix, widths, texts = z["pixels"], z["widths"], z["texts"]
            x = 0
            for w, t in zip(widths, texts, strict=False):
                self.add((normalise(pix[:, x: x + w].astype(np.float32) / 255.0, self.height) * 255)
                         .astype(np.uint8), str(t))
                x += int(w)
            self.sources.add(str(path))
            added += len(widths)
        return added

    def load_pairs(self, pairs: Sequence[tuple[Image.Image, str]], repeat: int = 1) -> None:
        for img, text in pairs:
            self.add(preprocess(img, self.height), text, repeat)  # add() applies the width norm

    def load_folder(self, folder: Path) -> int:
        pairs = list(read_folder(folder))
        for png, text in pairs:
            with Image.open(png) as img:
                self.add(preprocess(img, self.height), text)
        return len(pairs)


def read_folder(folder: Path) -> Iterator[tuple[Path, str]]:
    """(png, text) pairs from NAME.png beside NAME.gt.txt."""
    for png in sorted(Path(folder).glob("*.png")):
        gt = png.with_name(png.name[: -len(".png")] + ".gt.txt")
        if gt.exists():
            yield png, gt.read_text(encoding="utf-8").strip("\n").strip()


def collate(arrays: Sequence[np.ndarray], pad_value: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Pad to the batch's widest line with paper (1.0); return (N,1,H,W) and widths."""
    h = arrays[0].shape[0]
    widths = np.array([a.shape[1] for a in arrays], dtype=np.int64)
    out = np.full((len(arrays), 1, h, int(widths.max())), pad_value, dtype=np.float32)
    for i, a in enumerate(arrays):
        out[i, 0, :, : a.shape[1]] = a / 255.0 if a.dtype == np.uint8 else a
    return out, widths


def bucket_batches(widths: Sequence[int], batch_size: int, rng: np.random.Generator,
                   pool: int = 50) -> list[list[int]]:
    """Shuffle, sort by width inside pools of ``pool`` batches, cut batches, shuffle them."""
    order = rng.permutation(len(widths))
    batches: list[list[int]] = []
    chunk = batch_size * pool
    for s in range(0, len(order), chunk):
        part = sorted(order[s: s + chunk], key=lambda i: widths[i])
        batches += [list(part[i: i + batch_size]) for i in range(0, len(part), batch_size)]
    rng.shuffle(batches)
    return batches


def plan_batches(widths: Sequence[int], max_batch: int, batch_cost: float = 0.0) -> list[list[int]]:
    """Cut lines into inference batches that waste little on padding: indices per batch, narrowest first.

    Lines are sorted by width and cut into contiguous runs of at most ``max_batch``. Among all
    such cuts, the one chosen minimises the padded columns (a batch costs its size times its
    widest line, as the convolutions see it) plus ``batch_cost`` columns per batch, the fixed
    price of one forward call. ``batch_cost=0`` cuts wherever the widths jump; a large one gives
    full batches as plain sorting does. Dynamic programming, O(n · max_batch).
    """
    order = sorted(range(len(widths)), key=lambda i: widths[i])
    sorted_widths = [int(widths[i]) for i in order]
    n, size = len(order), max(1, int(max_batch))
    best = [0.0] + [math.inf] * n
    cut = [0] * (n + 1)
    for end in range(1, n + 1):
        widest = sorted_widths[end - 1]
        for start in range(max(0, end - size), end):
            cost = best[start] + batch_cost + (end - start) * widest
            if cost < best[end]:
                best[end], cut[end] = cost, start
    batches: list[list[int]] = []
    end = n
    while end > 0:
        batches.append(order[cut[end]: end])
        end = cut[end]
    return batches[::-1]
