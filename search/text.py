"""How search sees text: folded (accents and case away) and cut into word tokens.

Pure Python, no Django: the index, the queries, the highlighter and ``bench/prob_search_eval.py``
must agree on what a word is, so they all use this module. ``Pâques`` folds to ``paques``,
``l'Œuvre`` to the tokens ``l`` and ``oeuvre``.
"""
from __future__ import annotations

from models_ml.textfold import TOKEN, fold, fold_char, tokens  # one definition, shared with keyword spotting

__all__ = ["TOKEN", "fold", "fold_char", "token_spans", "tokens"]


def token_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, folded token) per word, with start/end offsets in the ORIGINAL text (for highlighting)."""
    folded: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        f = fold_char(ch)
        folded.append(f)
        origin.extend([i] * len(f))
    flat = "".join(folded)
    out = []
    for m in TOKEN.finditer(flat):
        start = origin[m.start()]
        end = origin[m.end() - 1] + 1
        out.append((start, end, m.group()))
    return out
