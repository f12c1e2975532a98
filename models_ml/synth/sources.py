"""Where synthetic handwriting comes from: fonts, texts and MNIST digits, and their splits.

The data lives in ``../shared/data`` when a full checkout has it, else in the repo's
``data/`` (a small copy with licences) so a fresh clone can still synthesise and test.
The font and text splits are fixed here, in code, so the model card can cite them and
no held-out hand or text ever leaks into training.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[2]

# Held-out fonts: never used for training; a mix of informal hands, connected scripts,
# a copperplate and a Debian-packaged hand.  Recorded in every model card.
HELDOUT_FONTS: tuple[str, ...] = (
    "caveat.woff2",             # informal, narrow
    "indie-flower.woff2",       # informal, rounded
    "shadows-into-light.woff2", # informal, spiky
    "dancing-script.woff2",     # connected script
    "satisfy.woff2",            # brush script
    "pinyon-script.woff2",      # copperplate
    "Delphine.ttf",             # Debian sjfonts hand
)

# Held-out texts: one Austen novel and the State of the Union messages from 2000 on.
HELDOUT_AUSTEN = ("austen-persuasion.txt",)
SOTU_HELDOUT_FROM_YEAR = 2000

CHARSET = (
    " !\"&'(),-./0123456789:;?"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "abcdefghijklmnopqrstuvwxyz"
)

_TRANSLATE = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2014": "-", "\u2013": "-",
    "\u2026": "...", "_": "", "*": "", "\t": " ", "[": "(", "]": ")", "{": "(", "}": ")",
    "`": "'", ";": ";", "\u00a3": "", "$": "", "%": " per cent", "#": "", "|": "",
})


def data_root() -> Path:
    """Prefer the shared full data set; fall back to the repo's small copy."""
    shared = REPO_ROOT.parent / "shared" / "data"
    if (shared / "fonts").is_dir():
        return shared
    return REPO_ROOT / "data"


def normalise_text(text: str) -> str:
    """Map typography to the model charset and drop anything else."""
    text = unicodedata.normalize("NFKD", text.translate(_TRANSLATE))
    text = "".join(c for c in text if c in CHARSET)
    return re.sub(r" {2,}", " ", text).strip()


def all_fonts(root: Path | None = None) -> list[Path]:
    root = root or data_root()
    return sorted(p for p in (root / "fonts").iterdir() if p.suffix in {".ttf", ".otf", ".woff2"})


def fonts_for(split: str, root: Path | None = None) -> list[Path]:
    """Fonts of one split: ``train`` or ``heldout``."""
    fonts = all_fonts(root)
    if split == "heldout":
        chosen = [f for f in fonts if f.name in HELDOUT_FONTS]
    elif split == "train":
        chosen = [f for f in fonts if f.name not in HELDOUT_FONTS]
    elif split == "all":
        chosen = fonts
    else:
        raise ValueError(f"unknown font split {split!r}")
    if not chosen:
        raise FileNotFoundError(f"no {split} fonts under {(root or data_root()) / 'fonts'}")
    return chosen


def _sotu_year(path: Path) -> int:
    try:
        return int(path.name[:4])
    except ValueError:
        return 0


def text_files(split: str, root: Path | None = None) -> list[Path]:
    """Text files of one split: ``train`` or ``heldout``."""
    t = (root or data_root()) / "texts"
    austen = sorted(t.glob("austen-*.txt"))
    sotu = sorted((t / "sotu").glob("*.txt"))
    if split == "heldout":
        files = [p for p in austen if p.name in HELDOUT_AUSTEN]
        files += [p for p in sotu if _sotu_year(p) >= SOTU_HELDOUT_FROM_YEAR]
    elif split == "train":
        files = [p for p in austen if p.name not in HELDOUT_AUSTEN]
        files += [p for p in sotu if 0 < _sotu_year(p) < SOTU_HELDOUT_FROM_YEAR]
        files += sorted((t / "shakespeare").glob("*.md"))
    else:
        raise ValueError(f"unknown text split {split!r}")
    if not files:
        raise FileNotFoundError(f"no {split} texts under {t}")
    return files


def _clean_markdown(line: str) -> str:
    if line.lstrip().startswith("#"):
        return ""
    return line.replace("**", "").replace("_", "")


@functools.lru_cache(maxsize=8)
def word_stream(split: str, root: str | None = None) -> tuple[str, ...]:
    """All words of a text split, normalised, in reading order."""
    words: list[str] = []
    for path in text_files(split, Path(root) if root else None):
        raw = path.read_text(encoding="utf-8", errors="replace")
        for line in raw.splitlines():
            if path.suffix == ".md":
                line = _clean_markdown(line)
            line = normalise_text(line)
            if line:
                words.extend(line.split(" "))
    return tuple(w for w in words if w)


@functools.lru_cache(maxsize=2)
def mnist_digits(root: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """MNIST *train* digits as (images uint8 N×28×28 white-on-black, labels)."""
    base = Path(root) if root else data_root()
    for name in ("mnist-train.npz", "mnist-train-subset.npz"):
        path = base / "digits" / name
        if path.exists():
            with np.load(path) as z:
                return z["images"], z["labels"]
    raise FileNotFoundError(f"no MNIST train digits under {base / 'digits'}")
