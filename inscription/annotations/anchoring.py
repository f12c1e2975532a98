"""Finding a quoted span again in a changed text (re-anchoring a TextQuoteSelector).

Order of preference, as in Hypothesis-style anchoring:
1. exact occurrences of the quote; among several, the one whose surroundings best match
   the stored prefix/suffix, then the one nearest the old position;
2. a fuzzy match (rapidfuzz ``partial_ratio_alignment``), refined by trying nearby
   boundaries with ``fuzz.ratio``, accepted at ``FUZZY_THRESHOLD`` or better;
3. otherwise nothing: the caller flags the annotation as orphaned.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from rapidfuzz import fuzz

FUZZY_THRESHOLD = 75.0


@dataclass(frozen=True)
class Anchor:
    start: int
    end: int
    method: str  # "exact" or "fuzzy"
    score: float  # 100 for exact


def _context_score(text: str, start: int, end: int, prefix: str, suffix: str) -> int:
    before = os.path.commonprefix([text[:start][::-1], prefix[::-1]])
    after = os.path.commonprefix([text[end:], suffix])
    return len(before) + len(after)


def find_quote(text: str, exact: str, prefix: str = "", suffix: str = "", near: int | None = None,
               fuzzy: bool = True, threshold: float = FUZZY_THRESHOLD) -> Anchor | None:
    """Where ``exact`` sits in ``text``, or None when it cannot be found with confidence."""
    if not exact:
        return None
    hits = []
    at = text.find(exact)
    while at >= 0:
        hits.append(at)
        at = text.find(exact, at + 1)
    if hits:
        best = min(hits, key=lambda s: (-_context_score(text, s, s + len(exact), prefix, suffix),
                                        abs(s - near) if near is not None else 0, s))
        return Anchor(best, best + len(exact), "exact", 100.0)
    if not fuzzy or not text:
        return None
    found = fuzz.partial_ratio_alignment(exact, text, score_cutoff=threshold)
    if found is None:
        return None
    start, end = _refine(text, exact, found.dest_start, found.dest_end)
    score = fuzz.ratio(exact, text[start:end])
    if score < threshold or start >= end:
        return None
    return Anchor(start, end, "fuzzy", round(score, 2))


def _refine(text: str, exact: str, start: int, end: int) -> tuple[int, int]:
    """partial_ratio compares windows of the quote's length; try nearby boundaries for the best full match."""
    k = min(10, max(2, len(exact) // 5))
    best = (fuzz.ratio(exact, text[start:end]), -abs((end - start) - len(exact)), start, end)
    for s in range(max(0, start - k), min(len(text), start + k) + 1):
        for e in range(max(s + 1, end - k), min(len(text), end + k) + 1):
            candidate = (fuzz.ratio(exact, text[s:e]), -abs((e - s) - len(exact)), s, e)
            if candidate[:2] > best[:2]:
                best = candidate
    return best[2], best[3]
