"""Sampling synthetic lines (font × text) and writing them as PNG + .gt.txt or npz shards."""
from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image

from models_ml.synth.render import font_charset, number_text, render_line, sample_text
from models_ml.synth.sources import fonts_for, word_stream


class LineSampler:
    """Draws (image, text) pairs from one font split and one text split.

    The font is re-drawn until it has every glyph of the text, so ground truth never
    names a character the image does not show.
    """

    def __init__(self, fonts: str = "train", texts: str = "train", seed: int = 0, *,
                 min_chars: int = 8, max_chars: int = 60, number_p: float = 0.1,
                 mnist_p: float | None = None, context_p: float = 0.3, script: str = "ascii") -> None:
        self.fonts = fonts_for(fonts)
        self.words = word_stream(texts, None, script)
        self.rng = np.random.default_rng(seed)
        self.min_chars, self.max_chars = min_chars, max_chars
        self.number_p = number_p
        # Real MNIST digits only for training fonts: held-out sets keep the hand's own digits.
        self.mnist_p = (0.5 if fonts == "train" else 0.0) if mnist_p is None else mnist_p
        self.context_p = context_p

    def text(self) -> str:
        rng = self.rng
        if rng.random() < self.number_p:
            t = number_text(rng)
            if rng.random() < 0.5:
                t = sample_text(self.words, rng, 3, 25) + " " + t
            return t[: self.max_chars].strip()
        return sample_text(self.words, rng, self.min_chars, self.max_chars)

    def font_for(self, text: str) -> Path:
        needed = set(text)
        for _ in range(12):
            font = self.fonts[int(self.rng.integers(0, len(self.fonts)))]
            if needed <= font_charset(str(font)):
                return font
        return font

    def sample(self, target_height: int | None = None) -> tuple[Image.Image, str, str]:
        text = self.text()
        font = self.font_for(text)
        cs = font_charset(str(font))
        text = " ".join("".join(c for c in text if c in cs).split())
        if not text:
            text = "a"
        img = render_line(text, font, self.rng, mnist_p=self.mnist_p, context_p=self.context_p,
                          target_height=target_height)
        return img, text, font.name

    def __iter__(self) -> Iterator[tuple[Image.Image, str, str]]:
        while True:
            yield self.sample()


def write_lines(out_dir: Path, n: int, fonts: str, texts: str, seed: int, **kw: object) -> list[Path]:
    """Write ``n`` lines as NAME.png + NAME.gt.txt (kraken/PyLaia layout)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    sampler = LineSampler(fonts, texts, seed, **kw)  # type: ignore[arg-type]
    paths = []
    meta = []
    for i in range(n):
        img, text, font = sampler.sample()
        name = f"line-{seed:04d}-{i:06d}"
        img.save(out_dir / f"{name}.png")
        (out_dir / f"{name}.gt.txt").write_text(text + "\n", encoding="utf-8")
        paths.append(out_dir / f"{name}.png")
        meta.append({"name": name, "font": font, "text": text})
    (out_dir / "manifest.jsonl").write_text("".join(json.dumps(m) + "\n" for m in meta), encoding="utf-8")
    return paths


def digit_text(rng: np.random.Generator) -> str:
    """Numbers as wills and ledgers write them: years, dates, register numbers and ranges.

    No spaces: between MNIST glyphs a space is as narrow as the font's, which no reader could
    tell from the gap between two digits; the separators are drawn by the font.
    """
    d, m, y = int(rng.integers(1, 32)), int(rng.integers(1, 13)), int(rng.integers(1850, 1999))
    kind = int(rng.integers(0, 5))
    if kind == 0:
        return str(y)
    if kind == 1:
        return f"{d}/{m}/{y}"
    if kind == 2:
        return f"{d}.{m}.{y}"
    if kind == 3:
        return f"{int(rng.integers(1, 999))}-{int(rng.integers(1, 999))}"
    return str(int(rng.integers(0, 10 ** int(rng.integers(2, 8)))))


def write_digit_lines(out_dir: Path, n: int, seed: int, mnist_split: str = "holdout") -> list[Path]:
    """Lines written only with MNIST digits: held-out ones (the evaluation set) or training ones.

    ``mnist_split="holdout"`` draws digits never composited into training lines; ``"train"``
    draws from the training digits only, to teach numbers and dates without touching the
    evaluation hands.
    """
    if mnist_split not in ("holdout", "train"):
        raise ValueError(f"unknown MNIST split {mnist_split!r}: holdout or train")
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    fonts = fonts_for("train")  # only spaces are measured from it: every digit is an MNIST glyph
    paths = []
    for i in range(n):
        text = digit_text(rng)
        img = render_line(text, fonts[int(rng.integers(0, len(fonts)))], rng, mnist_p=1.0, context_p=0.0,
                          mnist_split=mnist_split)
        name = f"digits-{mnist_split}-{seed:04d}-{i:06d}" if mnist_split == "train" else f"digits-{seed:04d}-{i:06d}"
        img.save(out_dir / f"{name}.png")
        (out_dir / f"{name}.gt.txt").write_text(text + "\n", encoding="utf-8")
        paths.append(out_dir / f"{name}.png")
    return paths


def shard_path(out_dir: Path, seed: int, index: int) -> Path:
    return out_dir / f"shard-{seed:04d}-{index:05d}.npz"


def write_shards(out_dir: Path, n: int, shard_size: int, height: int, fonts: str, texts: str,
                 seed: int, stride: int = 1, offset: int = 0, **kw: object) -> int:
    """Pre-render lines at model height into npz shards for fast training on few cores.

    Shard ``i`` is rendered from its own seed (``seed * 100000 + i``), so shards already
    on disk are skipped for free and several processes can split the work with
    ``stride``/``offset``.  Shards are written atomically, so a trainer may pick them up
    while rendering still runs.  Returns the number of lines rendered.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    t0, done = time.time(), 0
    for index in range(offset, (n + shard_size - 1) // shard_size, stride):
        path = shard_path(out_dir, seed, index)
        if path.exists():
            continue
        sampler = LineSampler(fonts, texts, seed * 100000 + index, **kw)  # type: ignore[arg-type]
        cols, widths, txts = [], [], []
        for _ in range(min(shard_size, n - index * shard_size)):
            img, text, _ = sampler.sample(target_height=height)
            arr = np.asarray(img, dtype=np.uint8)
            cols.append(arr)
            widths.append(arr.shape[1])
            txts.append(text)
        tmp = path.with_name(path.name[:-4] + ".tmp.npz")
        np.savez_compressed(tmp, pixels=np.concatenate(cols, axis=1), widths=np.array(widths),
                            texts=np.array(txts))
        tmp.rename(path)
        done += len(txts)
        print(f"shard {index}: {done} lines in {time.time() - t0:.0f}s "
              f"({done / (time.time() - t0):.1f} lines/s)", flush=True)
    return done
