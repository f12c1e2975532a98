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

from ..paths import shared_data

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
    shared = shared_data()
    if (shared / "fonts").is_dir():
        return shared
    return REPO_ROOT / "data"


# French and the marks of early-20th-century French hands, on top of ASCII: what the "latin" script
# renders (every latin1-fr font draws all of it). "^" is not here: in the real wills it is a
# transcription convention for superscript, not a drawn mark, so synthetic lines never show it.
LATIN_EXTRA = "àâäçéèêëîïôöùûüÿœæÀÂÇÉÈÊËÎÏÔÙÛÜŒ’«»°"
LATIN_CHARSET = CHARSET + LATIN_EXTRA
SCRIPTS = {"ascii": CHARSET, "latin": LATIN_CHARSET}

_LATIN_TRANSLATE = str.maketrans({
    "\u201c": '"', "\u201d": '"', "\u2014": "-", "\u2013": "-", "\u2026": "...", "_": "", "*": "",
    "\t": " ", "[": "(", "]": ")", "{": "(", "}": ")", "`": "'", "\u2018": "’", "\u00a0": " ",
})


def normalise_text(text: str, script: str = "ascii") -> str:
    """Map typography to the script's charset and drop anything else.

    ``ascii`` folds accents away (NFKD); ``latin`` keeps French letters as NFC.
    """
    if script == "latin":
        text = unicodedata.normalize("NFC", text.translate(_LATIN_TRANSLATE))
    else:
        text = unicodedata.normalize("NFKD", text.translate(_TRANSLATE))
    allowed = SCRIPTS[script]
    text = "".join(c for c in text if c in allowed)
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


def text_files(split: str, root: Path | None = None, french: bool = False) -> list[Path]:
    """Text files of one split: ``train`` or ``heldout``; ``french`` adds the French prose to ``train``."""
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
        if french:
            files += sorted((t / "french").glob("*.tsv"))
    else:
        raise ValueError(f"unknown text split {split!r}")
    if not files:
        raise FileNotFoundError(f"no {split} texts under {t}")
    return files


def _clean_markdown(line: str) -> str:
    if line.lstrip().startswith("#"):
        return ""
    return line.replace("**", "").replace("_", "")


def _tsv_text(line: str) -> str:
    """The last column of a French text table (verse or quotation), without Littré's [glosses]."""
    text = line.rsplit("\t", 1)[-1]
    return re.sub(r"\[[^\]]*\]", "", text)


@functools.lru_cache(maxsize=8)
def word_stream(split: str, root: str | None = None, script: str = "ascii") -> tuple[str, ...]:
    """All words of a text split, normalised to the script, in reading order.

    The ``latin`` script also reads the French prose (train split only).
    """
    words: list[str] = []
    for path in text_files(split, Path(root) if root else None, french=script == "latin"):
        raw = path.read_text(encoding="utf-8", errors="replace")
        for i, line in enumerate(raw.splitlines()):
            if path.suffix == ".md":
                line = _clean_markdown(line)
            if path.suffix == ".tsv":
                if i == 0 or path.name == "SOURCES.tsv":
                    continue
                line = _tsv_text(line)
            line = normalise_text(line, script)
            if line:
                words.extend(line.split(" "))
    return tuple(w for w in words if w)


# MNIST train digits from this index on are never composited into training lines: they make the
# real-digit evaluation lines (``synth digits``), digits written by hands no model has seen drawn.
MNIST_HOLDOUT_FROM = 55_000


@functools.lru_cache(maxsize=4)
def mnist_digits(root: str | None = None, split: str = "all") -> tuple[np.ndarray, np.ndarray]:
    """MNIST *train* digits as (images uint8 N×28×28 white-on-black, labels).

    ``split``: ``train`` (source index below MNIST_HOLDOUT_FROM), ``holdout`` (from it on) or ``all``.
    """
    base = Path(root) if root else data_root()
    for name in ("mnist-train.npz", "mnist-train-subset.npz"):
        path = base / "digits" / name
        if path.exists():
            with np.load(path) as z:
                images, labels = z["images"], z["labels"]
                source = z["source_indices"] if "source_indices" in z.files else np.arange(len(labels))
            if split == "all":
                return images, labels
            keep = source < MNIST_HOLDOUT_FROM if split == "train" else source >= MNIST_HOLDOUT_FROM
            if split not in ("train", "holdout"):
                raise ValueError(f"unknown MNIST split {split!r}")
            return images[keep], labels[keep]
    raise FileNotFoundError(f"no MNIST train digits under {base / 'digits'}")
