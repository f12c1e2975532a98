"""ROUGE evaluation on ACLSum with one protocol for every system.

Protocol (identical for the model and all baselines):
  * input: the paper's body text (abstract excluded), split by ``split_sentences``;
  * reference: the three ACLSum aspect summaries joined (challenge, approach,
    outcome), about 66 words;
  * budget: take the system's best-ranked sentences until they reach
    ``BUDGET_WORDS`` words, put them in document order, cut at ``BUDGET_WORDS``;
  * metric: rouge-score ROUGE-1/2/L F1 with Porter stemming, averaged over papers, ×100.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from rouge_score import rouge_scorer

from .data import DEFAULT_ACLSUM, Paper, load_aclsum

BUDGET_WORDS = 70
METRICS = ("rouge1", "rouge2", "rougeL")

Ranker = Callable[[list[str]], list[int]]


def budget_summary(sentences: list[str], ranking: list[int], budget: int = BUDGET_WORDS) -> str:
    """Best-ranked sentences until ``budget`` words, in document order, truncated to ``budget`` words."""
    chosen, total = [], 0
    for i in ranking:
        chosen.append(i)
        total += len(sentences[i].split())
        if total >= budget:
            break
    words = " ".join(sentences[i] for i in sorted(chosen)).split()
    return " ".join(words[:budget])


def rouge_table(papers: list[Paper], ranker: Ranker, budget: int = BUDGET_WORDS) -> dict[str, float]:
    """Mean ROUGE F1 (×100) of ``ranker`` against the aspect-summary references."""
    scorer = rouge_scorer.RougeScorer(list(METRICS), use_stemmer=True)
    sums = dict.fromkeys(METRICS, 0.0)
    for paper in papers:
        summary = budget_summary(paper.sentences, ranker(paper.sentences), budget)
        scores = scorer.score(paper.aspect_summary, summary)
        for m in METRICS:
            sums[m] += scores[m].fmeasure
    n = max(len(papers), 1)
    return {m: 100.0 * v / n for m, v in sums.items()}


def model_ranker(summariser) -> Ranker:
    """Rank by the model's sentence probabilities (ties → earlier sentence)."""
    def rank(sentences: list[str]) -> list[int]:
        scores = summariser.score_sentences(sentences)
        return sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    return rank


def compare(split: str = "test", model_dir: Path | None = None, root: Path = DEFAULT_ACLSUM,
            budget: int = BUDGET_WORDS, systems: tuple[str, ...] = ("lstm", "lead", "textrank", "lexrank"),
            ) -> list[tuple[str, dict[str, float], float]]:
    """(system, ROUGE dict, seconds) for each requested system on one ACLSum split."""
    from .api import load_summariser
    from .baselines import lead_ranking, sumy_ranking

    papers = load_aclsum(split, root)
    rankers: dict[str, Ranker] = {
        "lead": lead_ranking,
        "textrank": lambda s: sumy_ranking(s, "textrank"),
        "lexrank": lambda s: sumy_ranking(s, "lexrank"),
    }
    if "lstm" in systems:
        rankers["lstm"] = model_ranker(load_summariser(model_dir))
    rows = []
    for name in systems:
        t0 = time.perf_counter()
        rows.append((name, rouge_table(papers, rankers[name], budget), time.perf_counter() - t0))
    return rows


LABELS = {"lstm": "LSTM (SummaRuNNer)", "lead": "Lead", "textrank": "TextRank (sumy)", "lexrank": "LexRank (sumy)"}


def format_table(rows: list[tuple[str, dict[str, float], float]], split: str, n_papers: int, budget: int) -> str:
    lines = [
        f"ACLSum {split} ({n_papers} papers) | reference: aspect summaries (challenge+approach+outcome) "
        f"| budget: {budget} words | rouge-score F1, stemmed",
        f"{'system':<20} {'ROUGE-1':>8} {'ROUGE-2':>8} {'ROUGE-L':>8} {'sec':>7}",
    ]
    for name, scores, secs in rows:
        lines.append(f"{LABELS.get(name, name):<20} {scores['rouge1']:8.2f} {scores['rouge2']:8.2f} "
                     f"{scores['rougeL']:8.2f} {secs:7.1f}")
    return "\n".join(lines)
