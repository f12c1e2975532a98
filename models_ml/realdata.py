"""Real handwriting: where the Testaments de Poilus pages live, and the split by hand.

Testaments de Poilus, Archives nationales / HTR-United, CC-BY 4.0. One will is one hand,
so the split is by will, never by line: the validation wills below are never trained on by
any model of this repository (recognizer, segmenter, language model), and every real-hand
figure the project quotes is measured on them.
"""
from __future__ import annotations

import re
from pathlib import Path

from .paths import shared_data

REPO_ROOT = Path(__file__).resolve().parents[1]
CREDIT = "Testaments de Poilus, Archives nationales / HTR-United, CC-BY 4.0"

# 15 wills (every 7th of the 107, sorted by name, from the 4th): 276 lines. Fixed here so that
# model cards can cite them and no training command can drift.
VALIDATION_WILLS: tuple[str, ...] = (
    "AD78_0006", "AD78_0034", "AD78_0069", "AD95_0036", "AN_0021", "AN_0056", "AN_0089",
    "AN_0109", "AN_0158", "AN_0187", "AN_0218", "AN_0242", "AN_0276", "AN_0298", "AN_0334",
)

_WILL = re.compile(r"TestamentsDePoilus_will_([A-Z0-9]+_\d+)-\d+")


def real_root() -> Path | None:
    """The shared real-handwriting pages folder, if this checkout has it."""
    shared = shared_data() / "real" / "testaments-de-poilus" / "pages"
    return shared if shared.is_dir() else None


def will_of(path: str | Path) -> str | None:
    """``.../TestamentsDePoilus_will_AN_0021-1.xml`` → ``AN_0021`` (None for other files)."""
    m = _WILL.search(Path(path).name)
    return m.group(1) if m else None


def split_of(path: str | Path) -> str:
    """``val`` for a validation will's file, ``train`` for any other file."""
    return "val" if will_of(path) in VALIDATION_WILLS else "train"


def ground_truth_files(split: str, root: Path | None = None) -> list[Path]:
    """ALTO files of the real pages in one split (``train``, ``val`` or ``all``)."""
    root = root or real_root()
    if root is None:
        raise FileNotFoundError("no real handwriting pages (../shared/data/real/testaments-de-poilus/pages)")
    files = sorted(root.glob("TestamentsDePoilus_will_*.xml"))
    if split == "all":
        return files
    if split not in ("train", "val"):
        raise ValueError(f"unknown split {split!r}")
    return [f for f in files if split_of(f) == split]
