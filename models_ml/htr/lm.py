"""Character n-gram language model with Witten-Bell interpolation, stored as small JSON.

Built from the archive's own texts (here: the training texts only), it nudges beam
search toward plausible spellings without a word lexicon.
"""
from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

LM_FILE = "lm.json"  # the character LM stored beside a recognizer's weights


def copy_lm(src_dir: str | Path, out_dir: str | Path) -> bool:
    """Copy ``src_dir``'s LM file into ``out_dir``, if it has one; True when copied."""
    src = Path(src_dir) / LM_FILE
    if not src.exists():
        return False
    (Path(out_dir) / LM_FILE).write_bytes(src.read_bytes())
    return True

LABEL_CACHE_SIZE = 500_000  # entries of label_cache per charset (~120 bytes each: ~60 MB at most)


class CharLM:
    """P(c | previous order-1 chars), interpolated down to a uniform distribution."""

    def __init__(self, order: int, charset: str, counts: dict[str, dict[str, int]]) -> None:
        self.order = order
        self.charset = charset
        self.counts = counts
        self.totals = {h: sum(d.values()) for h, d in counts.items()}
        self.types = {h: len(d) for h, d in counts.items()}
        self._cache: dict[tuple[str, str], float] = {}
        self._label_caches: dict[str, dict[tuple[tuple[int, ...], int], float]] = {}

    @classmethod
    def build(cls, lines: Iterable[str], charset: str, order: int = 5, min_count: int = 2) -> CharLM:
        """Count n-grams of every order up to ``order`` (lines padded with a start space)."""
        allowed = set(charset)
        raw: dict[str, Counter] = defaultdict(Counter)
        for line in lines:
            text = " " + "".join(c for c in line if c in allowed)
            for i in range(1, len(text)):
                c = text[i]
                for k in range(0, order):
                    if i - k < 0:
                        break
                    raw[text[i - k: i]][c] += 1
        counts = {h: {c: n for c, n in d.items() if n >= min_count or h == ""} for h, d in raw.items()}
        counts = {h: d for h, d in counts.items() if d}
        return cls(order, charset, counts)

    def prob(self, c: str, context: str) -> float:
        """Witten-Bell interpolated probability of ``c`` after ``context``."""
        context = context[-(self.order - 1):] if self.order > 1 else ""
        key = (c, context)
        if key in self._cache:
            return self._cache[key]
        p = 1.0 / (len(self.charset) + 1)
        for k in range(0, len(context) + 1):
            h = context[len(context) - k:] if k else ""
            d = self.counts.get(h)
            if not d:
                break
            total, types = self.totals[h], self.types[h]
            p = (d.get(c, 0) + types * p) / (total + types)
        if len(self._cache) < 200_000:
            self._cache[key] = p
        return p

    def logprob(self, c: str, context: str) -> float:
        return math.log(max(self.prob(c, context), 1e-12))

    def label_cache(self, chars: str) -> dict[tuple[tuple[int, ...], int], float]:
        """A memo of :meth:`logprob` by class ids for decoders of ``chars`` (class i is ``chars[i-1]``):
        (context ids, class id) → log-probability. Emptied when it outgrows LABEL_CACHE_SIZE."""
        table = self._label_caches.setdefault(chars, {})
        if len(table) > LABEL_CACHE_SIZE:
            table.clear()
        return table

    def to_dict(self) -> dict:
        return {"type": "char-ngram-witten-bell", "order": self.order, "charset": self.charset,
                "counts": self.counts}

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), separators=(",", ":")), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> CharLM:
        d = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(int(d["order"]), d["charset"], d["counts"])
