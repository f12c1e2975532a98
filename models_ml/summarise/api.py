"""Public Python API used by the archive's Celery task (keep signatures stable).

    from models_ml.summarise.api import load_summariser
    result = load_summariser().summarise(text, sentences=3)
    for s in result.sentences: print(s.start, s.end, s.score)

``start``/``end`` are character offsets into the input text (into
``"\\n".join(units)`` when a list of pre-split units is passed), so the caller
can map every chosen sentence back to the transcription lines it came from.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import torch

from .data import Vocab, split_sentences, tokenize
from .model import SummaRuNNer, batch_document
from .store import DEFAULT_MODEL_DIR, load_model

__all__ = ["SelectedSentence", "SummaryResult", "Summariser", "load_summariser", "split_sentences"]

DEFAULT_SENTENCES = 3


@dataclass
class SelectedSentence:
    """One chosen sentence: its text, model score (probability), index among input sentences, char span."""

    text: str
    score: float
    position: int
    start: int
    end: int


@dataclass
class SummaryResult:
    """The summary text (chosen sentences in document order, space-joined) and the sentences themselves."""

    summary: str
    sentences: list[SelectedSentence] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def choose(scores: list[float], lengths: list[int], sentences: int | None, words: int | None) -> list[int]:
    """Indices (document order) of the best-scoring sentences within the budget.

    ``sentences``: take the top N. ``words``: add sentences best-first while the
    total stays within N words (the top sentence is always taken, so a long
    first sentence never yields an empty summary). Default: top 3 sentences.
    """
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    if words is not None:
        chosen, total = [], 0
        for i in order:
            if chosen and total + lengths[i] > words:
                continue
            chosen.append(i)
            total += lengths[i]
            if total >= words:
                break
        return sorted(chosen)
    n = DEFAULT_SENTENCES if sentences is None else sentences
    return sorted(order[: max(n, 0)])


class Summariser:
    """A loaded model plus its vocabulary and card; thread-compatible for inference."""

    def __init__(self, model: SummaRuNNer, vocab: Vocab, card: dict, device: str | torch.device = "cpu") -> None:
        self.model = model.eval()
        self.vocab = vocab
        self.card = card
        self.device = torch.device(device)

    @torch.inference_mode()
    def score_sentences(self, sentences: list[str]) -> list[float]:
        """Probability that each sentence belongs in the summary (sequential novelty included)."""
        if not sentences:
            return []
        ids = [self.vocab.encode(tokenize(s)) for s in sentences]
        tokens, lengths = batch_document(ids, self.model.cfg.max_tokens)
        logits = self.model(tokens.to(self.device), lengths.to(self.device))
        return torch.sigmoid(logits).float().cpu().tolist()

    def summarise(self, text: str | list[str], sentences: int | None = None, words: int | None = None) -> SummaryResult:
        """Extract a summary; a list means pre-split units, joined with "\\n" for the offsets."""
        if sentences is not None and words is not None:
            raise ValueError("give either sentences or words, not both")
        for name, value in (("sentences", sentences), ("words", words)):
            if value is not None and value < 1:
                raise ValueError(f"{name} must be at least 1, got {value}")
        if isinstance(text, str):
            joined, spans = text, split_sentences(text)
        else:
            joined, spans = _join_units([str(u) for u in text])
        texts = [joined[s:e] for s, e in spans]
        if not texts:
            return SummaryResult("", [])
        scores = self.score_sentences(texts)
        picked = choose(scores, [len(t.split()) for t in texts], sentences, words)
        chosen = [SelectedSentence(texts[i], round(scores[i], 6), i, spans[i][0], spans[i][1]) for i in picked]
        return SummaryResult(" ".join(" ".join(s.text.split()) for s in chosen), chosen)


def _join_units(units: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """Join units with newlines; each non-blank unit is one sentence, span trimmed of whitespace."""
    joined = "\n".join(units)
    spans, offset = [], 0
    for unit in units:
        stripped = unit.strip()
        if stripped:
            start = offset + (len(unit) - len(unit.lstrip()))
            spans.append((start, start + len(stripped)))
        offset += len(unit) + 1
    return joined, spans


@lru_cache(maxsize=4)
def _cached(model_dir: str, device: str) -> Summariser:
    model, vocab, card = load_model(Path(model_dir), device)
    return Summariser(model, vocab, card, device)


def load_summariser(model_dir: str | Path | None = None, device: str | None = None) -> Summariser:
    """Load (once per directory/device, then cached) the summariser; default: the shipped model.

    Raises ``models_ml.summarise.store.ModelLoadError`` when files are missing or fail sha256.
    """
    path = Path(model_dir) if model_dir else DEFAULT_MODEL_DIR
    return _cached(str(path.resolve()), device or "cpu")
