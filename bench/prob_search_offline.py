"""Offline studies for bench/prob_search_eval.py: ideas measured on the validation lines, none of them built.

Pure Python and numpy (no Django, no database). Each study takes what the evaluation already has
per line (true words, 1-best words, the index's word → probability) and, for query-time scoring,
the line's folded posteriors (models_ml/htr/kws.py):

- ``breakdown``: where the relevant (word, line) pairs that search misses are, by word length:
  absent from the index, or there below search's floor, and what keyword spotting gives them.
- ``rescored``: query-time scoring simulated. Each query word of ``min_len`` letters or more is
  scored by keyword spotting (kws.spot) on every line (``filter="all"``: what a lattice-based PrIx
  gives), or only on the lines whose index or 1-best reading holds a word within edit distance
  1 or 2 of it (``"lev1"``, ``"lev2"``: a candidate-line filter an index lookup could serve).
  ``topk`` keeps only the k most probable folded columns of each frame, in float16 (what storing
  posteriors compactly per line would keep).
- ``tune_overall`` / ``cross_validated_lowo``: per-length floors chosen to retrieve the most
  relevant pairs while the *overall* precision (1-best hits included) stays ≥ a target, tuned on
  14 wills and measured on the 15th, for each will in turn; the query words are all validation
  words. A second, stricter protocol beside the evaluation's halves.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from rapidfuzz.distance import Levenshtein

GRID = (0.5, 0.3, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001, 0.0005, 0.0002)
BUCKETS = (0.5, 0.1, 0.05, 0.01, 0.001, 0.0002, 1e-5, 0.0)


def length_class(word: str) -> int:
    return min(len(word), 7)


def levenshtein(a: str, b: str, cap: int = 9) -> int:
    """Edit distance (insert, delete, substitute), or ``cap + 1`` when it exceeds ``cap`` (rapidfuzz)."""
    return Levenshtein.distance(a, b, score_cutoff=cap)


def near(word: str, vocabulary: set[str], distance: int) -> bool:
    """Some word of ``vocabulary`` within ``distance`` edits of ``word``."""
    return any(abs(len(v) - len(word)) <= distance and levenshtein(word, v, distance) <= distance for v in vocabulary)


def compact(probs: np.ndarray, k: int) -> np.ndarray:
    """Only each frame's ``k`` most probable folded columns, stored as float16 (the rest 0)."""
    idx = np.argsort(-probs, axis=1)[:, :k]
    rows = np.arange(probs.shape[0])[:, None]
    out = np.zeros_like(probs)
    out[rows, idx] = probs[rows, idx].astype(np.float16).astype(probs.dtype)
    return out


def rescored(queries: Sequence[str], alts: list[dict[str, float]], onebest: list[set[str]],
             score: Callable[[int, list[str]], dict[str, float]], filter: str = "lev1",  # noqa: A002
             min_len: int = 5) -> tuple[list[dict[str, float]], float]:
    """The index's probabilities plus query-time scores of the words it lacks on the lines the filter passes.

    ``score(line, words)`` → word → P(word in line). Returns the per-line scores and the share of
    (query word ≥ ``min_len`` letters, line) pairs the filter sent to scoring.
    """
    distance = {"all": None, "lev1": 1, "lev2": 2}[filter]
    long_words = [w for w in queries if len(w) >= min_len]
    out, sent = [], 0
    for i, index in enumerate(alts):
        vocabulary = onebest[i] | set(index)
        todo = [w for w in long_words if w not in index and (distance is None or near(w, vocabulary, distance))]
        sent += len(todo)
        merged = dict(index)
        merged.update({w: p for w, p in score(i, todo).items() if w not in merged})
        out.append(merged)
    return out, sent / max(1, len(long_words) * len(alts))


def breakdown(truths: list[set[str]], onebest: list[set[str]], alts: list[dict[str, float]],
              full: list[dict[str, float]] | None, need: Callable[[str], float]) -> list[dict]:
    """Per length class: relevant pairs, found by 1-best, by search's rule; the missed ones by where they are."""
    rows = []
    for n in range(1, 8):
        rel = [(w, i) for i, t in enumerate(truths) for w in t if length_class(w) == n]
        by_1best = sum(1 for w, i in rel if w in onebest[i])
        found = sum(1 for w, i in rel if w in onebest[i] or alts[i].get(w, 0.0) >= need(w))
        missed = [(w, i) for w, i in rel if not (w in onebest[i] or alts[i].get(w, 0.0) >= need(w))]
        row = {"length": n, "relevant": len(rel), "1-best": by_1best, "search": found,
               "missed in index, below floor": sum(1 for w, i in missed if w in alts[i]),
               "missed, not in index": sum(1 for w, i in missed if w not in alts[i])}
        if full is not None:  # what spotting would give the missed pairs, by probability bucket
            for lo in BUCKETS:
                row[f"spotted ≥ {lo:g}"] = 0
            for w, i in missed:
                p = full[i].get(w, 0.0)
                row[f"spotted ≥ {next(lo for lo in BUCKETS if p >= lo):g}"] += 1
        rows.append(row)
    return rows


def _pairs(truths, onebest, scores, lines, queries):  # noqa: ANN001, ANN202
    rel = {(w, i) for i in lines for w in truths[i] if w in queries}
    base = {(w, i) for i in lines for w in onebest[i] if w in queries}
    scored = [(w, i, p) for i in lines for w, p in scores[i].items() if w in queries and (w, i) not in base]
    return rel, base, scored


def tune_overall(truths: list[set[str]], onebest: list[set[str]], scores: list[dict[str, float]],
                 lines: Sequence[int], queries: set[str], target: float, grid: Sequence[float] = GRID) -> dict[int, float]:
    """Floors per length class retrieving the most relevant pairs at overall precision ≥ ``target``.

    Greedy: from "nothing but 1-best", repeatedly lower the floor of the length whose step down the
    grid (to any lower point) brings the best precision among its new pairs, as long as the overall
    precision stays ≥ target. 2.0 = that length gets nothing from the index.
    """
    rel, base, scored = _pairs(truths, onebest, scores, lines, queries)
    curves = {}
    for n in range(1, 8):
        extra = [((w, i) in rel, p) for w, i, p in scored if length_class(w) == n]
        curves[n] = [(sum(r for r, p in extra if p >= x), sum(1 for _, p in extra if p >= x)) for x in grid]
    pos = dict.fromkeys(range(1, 8), -1)
    found, retrieved = len(base & rel), len(base)
    while True:
        best = None
        for n in range(1, 8):
            f0, r0 = (0, 0) if pos[n] < 0 else curves[n][pos[n]]
            for j in range(pos[n] + 1, len(grid)):
                f1, r1 = curves[n][j]
                if r1 == r0 or (found + f1 - f0) / (retrieved + r1 - r0) < target:
                    continue
                gain = (f1 - f0) / (r1 - r0)
                if best is None or gain > best[0]:
                    best = (gain, n, j, f1 - f0, r1 - r0)
        if best is None:
            return {n: (grid[pos[n]] if pos[n] >= 0 else 2.0) for n in range(1, 8)}
        _, n, j, df, dr = best
        pos[n], found, retrieved = j, found + df, retrieved + dr


def measure(truths, onebest, scores, lines, queries, floors) -> dict:  # noqa: ANN001
    rel, base, scored = _pairs(truths, onebest, scores, lines, queries)
    retrieved = base | {(w, i) for w, i, p in scored if p >= floors[length_class(w)]}
    found = len(retrieved & rel)
    return {"found": found, "retrieved": len(retrieved), "base": len(base & rel)}


def cross_validated_lowo(truths: list[set[str]], onebest: list[set[str]], scores: list[dict[str, float]],
                         wills: list[str], target: float, min_len: int = 1) -> dict:
    """Leave one will out: floors tuned (tune_overall) on the 14 others, measured on it; pooled.

    The query words are all the validation words of ``min_len`` letters or more, on every fold, so a
    fold's precision counts the same false-hit chances as the all-wills figures do."""
    queries = {w for t in truths for w in t if len(w) >= min_len}
    found = retrieved = base = 0
    for will in sorted(set(wills)):
        test = [i for i, w in enumerate(wills) if w == will]
        train = [i for i, w in enumerate(wills) if w != will]
        floors = tune_overall(truths, onebest, scores, train, queries, target)
        m = measure(truths, onebest, scores, test, queries, floors)
        found, retrieved, base = found + m["found"], retrieved + m["retrieved"], base + m["base"]
    all_floors = tune_overall(truths, onebest, scores, range(len(truths)), queries, target)
    return {"found": found, "precision": found / max(1, retrieved), "ratio": found / max(1, base),
            "floors_all_wills": all_floors}
