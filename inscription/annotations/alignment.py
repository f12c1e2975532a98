"""The comparison core (pure): align reference and hypothesis lines, count edits, CER/WER, confusions.

Conventions (documented in docs/annotations.md):
- both texts are normalised to Unicode NFC first, so "e" + U+0301 equals "é";
- words are whitespace-separated tokens (``str.split()``), compared as sequences of strings;
- CER = character edits / reference characters; WER = word edits / reference words;
  totals are sums over lines (not means of line rates);
- a line on the reference side only counts as all deleted (edits = its length), a line on
  the hypothesis side only as all inserted (edits = its length, reference length 0);
- a per-line rate is None when the reference line is empty but the hypothesis is not
  (undefined), and 0.0 when both are empty;
- confusion counts come from single-character edit operations: (ref, hyp) for a
  substitution, (ref, "") for a deletion, ("", hyp) for an insertion.
"""
from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz.distance import Levenshtein

NORMALISATION = "NFC"


def normalise(text: str) -> str:
    return unicodedata.normalize(NORMALISATION, text or "")


def rate(edits: int, ref_len: int) -> float | None:
    if ref_len:
        return edits / ref_len
    return 0.0 if edits == 0 else None


@dataclass
class LineResult:
    key: str
    status: str  # both / left_only / right_only
    char_edits: int
    ref_chars: int
    word_edits: int
    ref_words: int
    char_ops: list[list] = field(default_factory=list)
    word_ops: list[list] = field(default_factory=list)
    confusion: Counter = field(default_factory=Counter)

    @property
    def cer(self) -> float | None:
        return rate(self.char_edits, self.ref_chars)

    @property
    def wer(self) -> float | None:
        return rate(self.word_edits, self.ref_words)


def _opcodes(a, b) -> list[list]:
    return [[op.tag, op.src_start, op.src_end, op.dest_start, op.dest_end] for op in Levenshtein.opcodes(a, b)]


def align_line(key: str, ref: str | None, hyp: str | None) -> LineResult:
    """Align one target. ``None`` on a side means the target is missing there."""
    status = "both" if ref is not None and hyp is not None else ("left_only" if hyp is None else "right_only")
    ref, hyp = normalise(ref or ""), normalise(hyp or "")
    ref_words, hyp_words = ref.split(), hyp.split()
    confusion: Counter = Counter()
    for op in Levenshtein.editops(ref, hyp):
        if op.tag == "replace":
            confusion[(ref[op.src_pos], hyp[op.dest_pos])] += 1
        elif op.tag == "delete":
            confusion[(ref[op.src_pos], "")] += 1
        else:
            confusion[("", hyp[op.dest_pos])] += 1
    char_edits = sum(confusion.values())
    return LineResult(
        key=key, status=status,
        char_edits=char_edits, ref_chars=len(ref),
        word_edits=Levenshtein.distance(ref_words, hyp_words), ref_words=len(ref_words),
        char_ops=_opcodes(ref, hyp), word_ops=_opcodes(ref_words, hyp_words), confusion=confusion,
    )


@dataclass
class Totals:
    char_edits: int = 0
    ref_chars: int = 0
    word_edits: int = 0
    ref_words: int = 0
    lines_both: int = 0
    lines_left_only: int = 0
    lines_right_only: int = 0
    confusion: Counter = field(default_factory=Counter)

    def add(self, line: LineResult) -> None:
        self.char_edits += line.char_edits
        self.ref_chars += line.ref_chars
        self.word_edits += line.word_edits
        self.ref_words += line.ref_words
        setattr(self, f"lines_{line.status}", getattr(self, f"lines_{line.status}") + 1)
        self.confusion.update(line.confusion)

    @property
    def cer(self) -> float | None:
        return rate(self.char_edits, self.ref_chars)

    @property
    def wer(self) -> float | None:
        return rate(self.word_edits, self.ref_words)

    def op_counts(self) -> dict[str, int]:
        subs = sum(n for (r, h), n in self.confusion.items() if r and h)
        dels = sum(n for (r, h), n in self.confusion.items() if r and not h)
        ins = sum(n for (r, h), n in self.confusion.items() if h and not r)
        return {"substitutions": subs, "insertions": ins, "deletions": dels}

    def confusion_table(self) -> list[dict]:
        """Most frequent first; "" stands for nothing (insertion or deletion)."""
        rows = sorted(self.confusion.items(), key=lambda item: (-item[1], item[0]))
        return [{"ref": r, "hyp": h, "count": n} for (r, h), n in rows]


def compare_pairs(pairs: Iterable[tuple[str, str | None, str | None]]) -> tuple[list[LineResult], Totals]:
    """Align every (key, reference text or None, hypothesis text or None) and sum the figures."""
    totals = Totals()
    lines = []
    for key, ref, hyp in pairs:
        line = align_line(key, ref, hyp)
        totals.add(line)
        lines.append(line)
    return lines, totals


def segments(ref: str, hyp: str, ops: list[list]) -> list[dict]:
    """Opcodes → [{"op", "ref", "hyp"}] with the text of each side, for display."""
    ref, hyp = normalise(ref), normalise(hyp)
    return [{"op": tag, "ref": ref[i1:i2], "hyp": hyp[j1:j2]} for tag, i1, i2, j1, j2 in ops]


def word_segments(ref: str, hyp: str, ops: list[list]) -> list[dict]:
    ref_words, hyp_words = normalise(ref).split(), normalise(hyp).split()
    return [{"op": tag, "ref": " ".join(ref_words[i1:i2]), "hyp": " ".join(hyp_words[j1:j2])} for tag, i1, i2, j1, j2 in ops]
