"""Character and word error rates (Levenshtein via rapidfuzz)."""
from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz.distance import Levenshtein


def cer(refs: Sequence[str], hyps: Sequence[str]) -> float:
    """Total character edits / total reference characters."""
    edits = sum(Levenshtein.distance(r, h) for r, h in zip(refs, hyps, strict=True))
    return edits / max(1, sum(len(r) for r in refs))


def wer(refs: Sequence[str], hyps: Sequence[str]) -> float:
    """Total word edits / total reference words."""
    edits = sum(Levenshtein.distance(r.split(), h.split()) for r, h in zip(refs, hyps, strict=True))
    return edits / max(1, sum(len(r.split()) for r in refs))
