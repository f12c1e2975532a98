"""Baselines for the side-by-side evaluation: Lead-k and sumy's TextRank/LexRank.

sumy's default Tokenizer loads NLTK punkt data (a download) for sentences and
``nltk.word_tokenize`` (punkt again) for words. ``OfflineTokenizer`` replaces
both with this package's regex splitter and a regex word pattern, so the
baselines run offline and see exactly the same sentence units as the model.
"""
from __future__ import annotations

import re

from .data import split_sentences

_WORD = re.compile(r"(?<!\w)[^\W\d_](?:[^\W\d_]|['-])*", re.UNICODE)


class OfflineTokenizer:
    """Drop-in for ``sumy.nlp.tokenizers.Tokenizer`` that needs no NLTK data."""

    language = "english"

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        return tuple(paragraph[s:e].strip() for s, e in split_sentences(paragraph))

    def to_words(self, sentence: str) -> tuple[str, ...]:
        return tuple(_WORD.findall(sentence))


def lead_ranking(sentences: list[str]) -> list[int]:
    """Lead-k: document order is the ranking."""
    return list(range(len(sentences)))


def sumy_ranking(sentences: list[str], method: str) -> list[int]:
    """Rank sentence indices best-first with sumy's TextRank or LexRank (English stemmer + stop words).

    Each sentence is passed as its own paragraph so sumy's units are exactly ours.
    """
    from sumy.nlp.stemmers import Stemmer
    from sumy.parsers.plaintext import PlaintextParser
    from sumy.summarizers.lex_rank import LexRankSummarizer
    from sumy.summarizers.text_rank import TextRankSummarizer
    from sumy.utils import get_stop_words

    if not sentences:
        return []
    cls = {"textrank": TextRankSummarizer, "lexrank": LexRankSummarizer}[method]
    summariser = cls(Stemmer("english"))
    summariser.stop_words = get_stop_words("english")
    # Blank-line-separated sentences; lower-case any all-caps line so sumy does not treat it as a heading.
    units = [" ".join(s.split()) for s in sentences]
    units = [u.capitalize() if u.isupper() else u for u in units]
    doc = PlaintextParser.from_string("\n\n".join(units), OfflineTokenizer()).document
    doc_sentences = list(doc.sentences)
    if method == "textrank":
        ratings = summariser.rate_sentences(doc)
    else:
        ratings = _lexrank_ratings(summariser, doc_sentences)
    first_index: dict[str, int] = {}
    for i, u in enumerate(units):
        first_index.setdefault(u, i)
    ranked = sorted(range(len(doc_sentences)), key=lambda k: (-ratings[doc_sentences[k]], k))
    out, seen = [], set()
    for k in ranked:
        i = first_index.get(str(doc_sentences[k]._text), k)
        if i not in seen and i < len(sentences):
            seen.add(i)
            out.append(i)
    return out


def _lexrank_ratings(summariser, sentences: list) -> dict:
    """LexRank scores computed with sumy's own internals (its __call__ keeps them private)."""
    words = [summariser._to_words_set(s) for s in sentences]
    tf = summariser._compute_tf(words)
    idf = summariser._compute_idf(words)
    matrix = summariser._create_matrix(words, summariser.threshold, tf, idf)
    scores = summariser.power_method(matrix, summariser.epsilon)
    return dict(zip(sentences, scores, strict=True))
