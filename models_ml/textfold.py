"""How text is folded for search and keyword spotting: no case, no accents, ligatures opened, cut into words.

One definition for both sides of a search: the archive's index and queries (``search/text.py``)
and the recognizer's keyword spotting (``htr/kws.py``) must agree on what a word is. Pure Python:
``models_ml`` sits below the apps, so they import it, never the other way round.
``Pâques`` folds to ``paques``, ``l'Œuvre`` to the tokens ``l`` and ``oeuvre``.
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
    """The folded word tokens of a text, in order (letters and digits; the rest separates)."""
    return TOKEN.findall(fold(text))
