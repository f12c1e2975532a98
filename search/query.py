"""The search box's little language, parsed once for both databases (pure Python, no Django).

``testament``            a word (accents and case do not matter: ``paques`` finds ``Pâques``)
``"mon fils aîné"``      a phrase (the words in this order, next to each other)
``testa*``               a prefix
``testament~``           fuzzy: a word spelled nearly so (trigram similarity)
``-brouillon``           without this word
Several parts must all match.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from search.text import token_spans, tokens

MAX_QUERY_CHARS = 300
MAX_TERMS = 12
FUZZY_SIMILARITY = 0.5
# The least probability a word alternative needs, by the word's length in letters, whatever threshold is
# asked: short words are the ones the recognizer invents, long ones it rarely gives to the wrong line.
# Measured on the validation wills (bench/prob_search_eval.py, docs/search.md); 6 letters and more: none.
ALTERNATIVE_FLOOR = {1: 0.2, 2: 0.5, 3: 0.3, 4: 0.2, 5: 0.1}


def threshold_for(token: str, threshold: float) -> float:
    """The probability an alternative of ``token`` needs when ``threshold`` is asked."""
    return max(threshold, ALTERNATIVE_FLOOR.get(len(token), 0.0))
_PART = re.compile(r'(-?)"([^"]*)"?|(\S+)')


class QueryError(ValueError):
    """A query that cannot be run as written (the message says why)."""


@dataclass(frozen=True)
class Term:
    """One part of a query: folded tokens (more than one means a phrase) and how to match them."""

    tokens: tuple[str, ...]
    prefix: bool = False
    fuzzy: bool = False
    negate: bool = False
    # a fuzzy word's near spellings in the index, looked up once per search (search.services.query)
    expansion: tuple[str, ...] | None = None

    @property
    def plain(self) -> bool:
        """A single whole word: the kind of term the machine's word alternatives can answer."""
        return len(self.tokens) == 1 and not (self.prefix or self.fuzzy or self.negate)


def parse(q: str) -> list[Term]:
    """Terms of a query; raises QueryError for an empty, too long or negative-only query."""
    q = (q or "").strip()
    if not q:
        raise QueryError("Type something to search for.")
    if len(q) > MAX_QUERY_CHARS:
        raise QueryError(f"A query has at most {MAX_QUERY_CHARS} characters.")
    terms: list[Term] = []
    for m in _PART.finditer(q):
        if m.group(2) is not None:
            toks = tuple(tokens(m.group(2)))
            if toks:
                terms.append(Term(toks, negate=bool(m.group(1))))
            continue
        raw = m.group(3)
        negate = raw.startswith("-") and len(raw) > 1
        raw = raw[1:] if negate else raw
        prefix, fuzzy = raw.endswith("*"), raw.endswith("~")
        toks = tuple(tokens(raw.rstrip("*~")))
        if not toks:
            continue
        if len(toks) > 1:  # l'homme, saint-jean: the pieces in order
            terms.append(Term(toks, prefix=prefix, negate=negate))
        else:
            terms.append(Term(toks, prefix=prefix, fuzzy=fuzzy and not prefix, negate=negate))
    if not terms:
        raise QueryError("The query has no words to search for.")
    if len(terms) > MAX_TERMS:
        raise QueryError(f"A query has at most {MAX_TERMS} parts.")
    if all(t.negate for t in terms):
        raise QueryError("A query needs at least one word to find, not only words to leave out.")
    return terms


def trigrams(word: str) -> set[str]:
    """pg_trgm's trigrams of one word (padded with two spaces before, one after)."""
    padded = f"  {word} "
    return {padded[i:i + 3] for i in range(len(padded) - 2)}


def similarity(a: str, b: str) -> float:
    ta, tb = trigrams(a), trigrams(b)
    return len(ta & tb) / max(1, len(ta | tb))


def _token_matches(term_token: str, token: str, term: Term, last: bool, stemmed: bool) -> bool:
    if token == term_token:
        return True
    if term.prefix and last:
        return token.startswith(term_token)
    if term.fuzzy:
        return similarity(term_token, token) >= FUZZY_SIMILARITY
    if stemmed and len(term_token) >= 4:  # french/english stemming also matches inflections
        stem = term_token[: max(4, len(term_token) - 2)]
        return token.startswith(stem) and abs(len(token) - len(term_token)) <= 3
    return False


def highlight_spans(text: str, terms: list[Term], stemmed: bool = False) -> list[tuple[int, int]]:
    """[start, end) character ranges of ``text`` that the (positive) terms match, in order, merged per phrase."""
    spans = token_spans(text)
    found: list[tuple[int, int]] = []
    for term in terms:
        if term.negate:
            continue
        n = len(term.tokens)
        for i in range(len(spans) - n + 1):
            window = spans[i:i + n]
            if all(_token_matches(t, w[2], term, k == n - 1, stemmed) for k, (t, w) in enumerate(zip(term.tokens, window,
                                                                                                   strict=True))):
                found.append((window[0][0], window[-1][1]))
    return sorted(set(found))
