"""Word alternatives from CTC posteriors: the recognizer's probabilistic index of one line.

A search over machine readings should find a word the recognizer *nearly* read. The best
path alone forgets that "testament" lost to "testamert" by a hair; the posteriors remember.
Following probabilistic indexing (Toselli, Vidal et al., PrIx), each line keeps, per word
position, the few most probable spellings with their probabilities.

How: the best path is cut into word slots where the space wins a frame. For each slot a CTC
prefix beam runs over the slot's frames with the space's mass folded into the blank, so it
yields P(spelling | the slot's frames), summed over all alignments of that spelling, not one
path. Where a space is doubtful the two slots beside it are also read as one word (scaled by
the chance that there is no space), and where a slot holds a doubtful space inside, its two
halves are read too (scaled by the chance that there is one). Pure numpy, no torch, no Django.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from models_ml.htr.decode import _logsumexp as _lse

NEG_INF = -1e30


@dataclass
class WordSlot:
    """One word position of a line: its frames ``[start, end)`` and its spellings, most probable first."""

    frames: tuple[int, int]
    alternatives: list[tuple[str, float]] = field(default_factory=list)

    def best(self) -> str:
        return self.alternatives[0][0] if self.alternatives else ""


def nbest_labellings(log_probs: np.ndarray, beam: int = 12, blank: int = 0,
                     prune: float = -8.0) -> list[tuple[tuple[int, ...], float]]:
    """CTC prefix beam search (no LM) returning every surviving labelling with its log-probability.

    The log-probability of a labelling sums all its alignments (blank-ending and label-ending),
    so the values are true probabilities of the labelling given these frames (lower bounds
    where the beam pruned some alignments away). Best first.
    """
    beams: dict[tuple[int, ...], tuple[float, float]] = {(): (0.0, NEG_INF)}
    for t in range(log_probs.shape[0]):
        lp = log_probs[t]
        cands = np.nonzero(lp > prune)[0].tolist() or [int(lp.argmax())]
        nxt: dict[tuple[int, ...], list[float]] = defaultdict(lambda: [NEG_INF, NEG_INF])
        for prefix, (pb, pnb) in beams.items():
            total = _lse(pb, pnb)
            last = prefix[-1] if prefix else None
            for c in cands:
                p = float(lp[c])
                if c == blank:
                    e = nxt[prefix]
                    e[0] = _lse(e[0], total + p)
                elif c == last:
                    e = nxt[prefix + (c,)]
                    e[1] = _lse(e[1], pb + p)  # a repeated character needs a blank between
                    same = nxt[prefix]
                    same[1] = _lse(same[1], pnb + p)
                else:
                    e = nxt[prefix + (c,)]
                    e[1] = _lse(e[1], total + p)
        ranked = sorted(nxt.items(), key=lambda kv: _lse(kv[1][0], kv[1][1]), reverse=True)[:beam]
        beams = {k: (v[0], v[1]) for k, v in ranked}
    out = [(k, _lse(pb, pnb)) for k, (pb, pnb) in beams.items()]
    out.sort(key=lambda kv: kv[1], reverse=True)
    return out


def _fold_space(log_probs: np.ndarray, space: int, blank: int) -> np.ndarray:
    """The posteriors with the space's mass moved onto the blank: a slot is read as one word."""
    out = log_probs.copy()
    out[:, blank] = np.logaddexp(log_probs[:, blank], log_probs[:, space])
    out[:, space] = NEG_INF
    return out


def _read_slot(folded: np.ndarray, start: int, end: int, chars: str, k: int, beam: int,
               prune: float, scale: float, min_prob: float) -> list[tuple[str, float]]:
    """The k most probable spellings of frames [start, end), each probability times ``scale``."""
    found: dict[str, float] = {}
    for labels, logp in nbest_labellings(folded[start:end], beam=beam, prune=prune):
        word = "".join(chars[c - 1] for c in labels).strip()
        p = math.exp(logp) * scale
        if word and p >= min_prob:
            found[word] = found.get(word, 0.0) + p
    return sorted(found.items(), key=lambda kv: -kv[1])[:k]


def word_slots(log_probs: np.ndarray, chars: str, space: str = " ", blank: int = 0, k: int = 10,
               beam: int = 16, min_prob: float = 0.002, doubtful_space: float = 0.9,
               split_above: float = 0.1, prune: float = -8.0) -> list[WordSlot]:
    """Word positions of one line with their top-``k`` spellings and probabilities.

    ``log_probs`` is the recognizer's (T, C) log-softmax output, class ``i`` ≥ 1 meaning
    ``chars[i-1]`` and ``blank`` the CTC blank. Slots come in reading order; a slot built by
    joining or splitting others overlaps them (they are alternatives of the same ink).
    """
    if log_probs.ndim != 2 or log_probs.shape[0] == 0:
        return []
    if space not in chars:
        raise ValueError("the charset has no space: a line cannot be cut into words")
    sid = chars.index(space) + 1
    T = log_probs.shape[0]
    best = log_probs.argmax(axis=1)
    p_space = np.exp(log_probs[:, sid])
    folded = _fold_space(log_probs, sid, blank)
    # Runs of frames whose best class is not the space; a run with no character is a gap.
    runs: list[tuple[int, int]] = []
    t = 0
    while t < T:
        if best[t] == sid:
            t += 1
            continue
        s = t
        while t < T and best[t] != sid:
            t += 1
        if np.any((best[s:t] != blank) & (best[s:t] != sid)):
            runs.append((s, t))
    read = dict(k=k, beam=beam, prune=prune, min_prob=min_prob)
    slots: list[WordSlot] = []
    for i, (s, e) in enumerate(runs):
        a, b = max(0, s - 1), min(T, e + 1)  # the frames of the spaces around act as blanks
        slots.append(WordSlot((s, e), _read_slot(folded, a, b, chars, scale=1.0, **read)))
        # a doubtful space inside the slot: its halves may be two words
        inner = p_space[s:e]
        if len(inner) > 2:
            m = int(inner[1:-1].argmax()) + 1 + s
            if p_space[m] >= split_above:
                for x0, x1 in ((s, m), (m + 1, e)):
                    if x1 > x0:
                        alts = _read_slot(folded, max(0, x0 - 1), min(T, x1 + 1), chars, scale=float(p_space[m]), **read)
                        if alts:
                            slots.append(WordSlot((x0, x1), alts))
        # a doubtful space after the slot: this word and the next may be one
        if i + 1 < len(runs):
            gap = p_space[e:runs[i + 1][0]]
            no_space = 1.0 - float(gap.max()) if len(gap) else 1.0
            if 1.0 - no_space < doubtful_space and no_space > min_prob:
                n0, n1 = runs[i + 1]
                alts = _read_slot(folded, a, min(T, n1 + 1), chars, scale=no_space, **read)
                if alts:
                    slots.append(WordSlot((s, n1), alts))
    slots.sort(key=lambda w: (w.frames[0], -w.frames[1]))
    return slots
