"""Greedy ROUGE oracle: which input sentences an extractive model should learn to pick.

Uses rouge-score's own tokenizer (with Porter stemming) and n-gram F1, so the
labels optimise exactly the metric we report. Sentences are tokenised once and
overlaps are updated incrementally instead of re-running the scorer per
candidate; ``summary_f1`` re-scores with rouge-score itself (used in tests).
"""
from __future__ import annotations

from collections import Counter
from functools import lru_cache

from rouge_score import rouge_scorer, tokenizers


@lru_cache(maxsize=1)
def _tokenizer() -> tokenizers.DefaultTokenizer:
    return tokenizers.DefaultTokenizer(use_stemmer=True)


def _ngrams(tokens: list[str], n: int) -> Counter:
    return rouge_scorer._create_ngrams(tokens, n)


class _Gram:
    """Running n-gram overlap between a growing summary and the reference (one n)."""

    def __init__(self, ref: Counter) -> None:
        self.ref, self.ref_total = ref, sum(ref.values())
        self.cur: Counter = Counter()
        self.overlap = 0
        self.pred = 0

    def gain(self, grams: Counter, n_grams: int) -> float:
        """F1 after adding ``grams``: 2·overlap / (pred + ref), i.e. rouge-score's P/R harmonic mean."""
        delta = 0
        for g, c in grams.items():
            r = self.ref.get(g, 0)
            if r:
                have = self.cur.get(g, 0)
                delta += min(have + c, r) - min(have, r)
        overlap = self.overlap + delta
        return 2.0 * overlap / (self.pred + n_grams + self.ref_total) if overlap else 0.0

    def add(self, grams: Counter, n_grams: int) -> None:
        for g, c in grams.items():
            r = self.ref.get(g, 0)
            if r:
                have = self.cur.get(g, 0)
                self.overlap += min(have + c, r) - min(have, r)
            self.cur[g] += c
        self.pred += n_grams


def greedy_oracle(sentences: list[str], reference: str, max_sentences: int = 6) -> list[int]:
    """Indices (ascending) of sentences greedily maximising ROUGE-1 F1 + ROUGE-2 F1.

    Stops when adding any further sentence no longer raises the score, so the
    oracle length adapts to the reference length. Overlaps are updated
    incrementally (O(sentence) per candidate), which equals re-scoring the
    concatenated n-gram counts with rouge-score's formula.
    """
    tok = _tokenizer()
    ref_tokens = tok.tokenize(reference)
    if not ref_tokens or not sentences:
        return []
    state = (_Gram(_ngrams(ref_tokens, 1)), _Gram(_ngrams(ref_tokens, 2)))
    sents = []
    for s in sentences:
        tokens = tok.tokenize(s)
        sents.append((_ngrams(tokens, 1), len(tokens), _ngrams(tokens, 2), max(len(tokens) - 1, 0)) if tokens else None)
    chosen: list[int] = []
    best_score = 0.0
    while len(chosen) < max_sentences:
        best_idx, best_gain_score = -1, best_score
        for i, grams in enumerate(sents):
            if grams is None or i in chosen:
                continue
            score = state[0].gain(grams[0], grams[1]) + state[1].gain(grams[2], grams[3])
            if score > best_gain_score + 1e-12:
                best_idx, best_gain_score = i, score
        if best_idx < 0:
            break
        chosen.append(best_idx)
        grams = sents[best_idx]
        state[0].add(grams[0], grams[1])
        state[1].add(grams[2], grams[3])
        best_score = best_gain_score
    return sorted(chosen)


def summary_f1(sentences: list[str], reference: str) -> tuple[float, float]:
    """rouge-score ROUGE-1/ROUGE-2 F1 of the per-sentence n-gram union (what the oracle maximises)."""
    tok = _tokenizer()
    ref = tok.tokenize(reference)
    f = []
    for n in (1, 2):
        pred: Counter = Counter()
        for s in sentences:
            pred += _ngrams(tok.tokenize(s), n)
        f.append(rouge_scorer._score_ngrams(_ngrams(ref, n), pred).fmeasure)
    return f[0], f[1]


def oracle_labels(sentences: list[str], reference: str, max_sentences: int = 6) -> list[float]:
    """0/1 label per sentence from :func:`greedy_oracle`."""
    chosen = set(greedy_oracle(sentences, reference, max_sentences))
    return [1.0 if i in chosen else 0.0 for i in range(len(sentences))]
