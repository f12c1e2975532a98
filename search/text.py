"""How search sees text: folded (accents and case away) and cut into word tokens.

Pure Python, no Django: the index, the queries, the highlighter and ``bench/prob_search_eval.py``
must agree on what a word is, so they all use this module. ``Pâques`` folds to ``paques``,
``l'Œuvre`` to the tokens ``l`` and ``oeuvre``.
"""
from __future__ import annotations

import re
import unicodedata

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ſ": "s", "ß": "ss", "’": "'"})
TOKEN = re.compile(r"[^\W_]+")


def fold_char(ch: str) -> str:
    """One character folded: lower case, no diacritics, ligatures opened (may give 0–2 characters)."""
    ch = ch.translate(_LIGATURES)
    decomposed = unicodedata.normalize("NFKD", ch)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def fold(text: str) -> str:
    """The whole text folded (what the index stores and the queries are written in)."""
    return "".join(fold_char(c) for c in text)


def tokens(text: str) -> list[str]:
    """The folded word tokens of a text, in order."""
    return TOKEN.findall(fold(text))


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
