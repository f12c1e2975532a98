"""Writing-width normalisation: stretch compact hands to a common stroke period before reading.

Why: at height 32 and one frame per 4 columns, a compact hand gets about two CTC frames per letter,
too few for double letters ("ll", "ss", "mm" are everywhere in French). Unseen compact hands read far
worse than wide ones, and reading them stretched recovers much of it. The stroke period — columns
between the starts of vertical ink runs in the line's densest rows (the x-height band) — is a
transcription-free measure of how compact the writing is, so the same rule applies in training and
in the archive.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from PIL import Image

INK = 0.5  # a normalised pixel darker than this is ink


def stroke_period(arr: np.ndarray) -> float | None:
    """Mean columns between stroke starts in the x-height band of a normalised line (ink dark, 0..1).

    None for a line with too little ink to tell (blank or a few specks).
    """
    a = arr.astype(np.float32) / 255.0 if arr.dtype == np.uint8 else arr
    ink = a < INK
    cols = np.flatnonzero(ink.any(axis=0))
    if len(cols) < 4:
        return None
    ink = ink[:, cols[0]: cols[-1] + 1]
    band = max(2, a.shape[0] * 3 // 16)  # 6 rows at height 32: about the x-height of a levelled line
    rows = np.argsort(ink.mean(axis=1), kind="stable")[-band:]
    starts = (np.diff(ink[rows].astype(np.int8), axis=1) == 1).sum(axis=1).mean()
    if starts < 1:
        return None
    return float(ink.shape[1] / starts)


@dataclass(frozen=True)
class WidthNorm:
    """Scale a line's width so its stroke period comes to ``target`` columns, within [min_scale, max_scale]."""

    target: float
    min_scale: float = 1.0
    max_scale: float = 1.4

    def __post_init__(self) -> None:
        if not (self.target > 0 and 0 < self.min_scale <= 1.0 <= self.max_scale):
            raise ValueError(f"width normalisation needs target > 0 and 0 < min_scale <= 1 <= max_scale, got {self}")

    @classmethod
    def from_card(cls, card: dict) -> WidthNorm | None:
        """The card's ``preprocessing.width_norm``, or None where the model was made without one."""
        spec = (card.get("preprocessing") or {}).get("width_norm")
        return cls(**{k: float(spec[k]) for k in ("target", "min_scale", "max_scale") if k in spec}) if spec else None

    def to_dict(self) -> dict:
        return asdict(self)

    def scale_for(self, arr: np.ndarray) -> float:
        """The width factor for one normalised line (1.0 where its period cannot be measured)."""
        period = stroke_period(arr)
        if period is None:
            return 1.0
        return float(min(self.max_scale, max(self.min_scale, self.target / period)))

    def apply(self, arr: np.ndarray, max_width: int) -> np.ndarray:
        """The line resized to its width factor (height unchanged, at most ``max_width`` columns)."""
        factor = self.scale_for(arr)
        h, w = arr.shape
        new_w = max(4, min(max_width, int(round(w * factor))))
        if new_w == w:
            return arr
        img = Image.fromarray(arr.astype(np.float32) / 255.0 if arr.dtype == np.uint8 else arr, mode="F")
        out = np.asarray(img.resize((new_w, h), Image.BILINEAR), dtype=np.float32)
        return (np.clip(out, 0, 1) * 255).astype(np.uint8) if arr.dtype == np.uint8 else out
