"""CTC decoding: greedy and prefix beam search (optionally with a character n-gram LM).

Every emitted character gets a confidence and the frame span it came from, so the
archive can mark doubtful characters and map them back to image columns
(frame ``f`` covers columns ``[f*k, (f+1)*k)`` for downsampling factor ``k``).
"""
from __future__ import annotations

import heapq
import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from models_ml.htr.lm import CharLM

NEG_INF = -1e30


@dataclass
class Decoded:
    """One decoded line: class ids with per-character confidence and frame span."""

    labels: list[int] = field(default_factory=list)
    confidences: list[float] = field(default_factory=list)
    frames: list[tuple[int, int]] = field(default_factory=list)  # [start, end) frame indices


def card_decoding(card: dict) -> tuple[str, bool]:
    """The decoder a recognizer's card names as its default (``decoding.default``): (decoder, with the LM).

    "beam+lm" is beam search with the model's LM, "beam" without it; anything else is greedy. The card's
    figures are measured with this decoder, so the CLI and the archive's jobs read with it when told none.
    """
    default = str((card.get("decoding") or {}).get("default") or "greedy")
    if default == "beam+lm":
        return "beam", True
    return ("beam", False) if default == "beam" else ("greedy", False)


def greedy(log_probs: np.ndarray, blank: int = 0) -> Decoded:
    """Best class per frame, runs collapsed, blanks dropped.

    A character's confidence is the highest posterior in its run of frames.
    """
    probs = np.exp(log_probs)
    best = probs.argmax(axis=1)
    out = Decoded()
    t, n = 0, len(best)
    while t < n:
        c = int(best[t])
        s = t
        while t < n and best[t] == c:
            t += 1
        if c != blank:
            out.labels.append(c)
            out.confidences.append(float(probs[s:t, c].max()))
            out.frames.append((s, t))
    return out


def _logsumexp(a: float, b: float) -> float:
    if a < b:
        a, b = b, a
    if b <= NEG_INF:
        return a
    return a + math.log1p(math.exp(b - a))


def prefix_beam(log_probs: np.ndarray, beam: int = 10, blank: int = 0, lm: CharLM | None = None,
                chars: str = "", alpha: float = 0.6, beta: float = 1.0,
                prune: float = -10.0) -> list[int]:
    """CTC prefix beam search; with ``lm`` each new character adds alpha·log P_lm + beta.

    ``chars`` maps class id i to ``chars[i-1]`` for the LM. Returns the best label sequence.
    """
    beams = _prefix_beams(log_probs, beam, blank, lm, chars, alpha, beta, prune)
    best = max(beams.items(), key=lambda kv: _logsumexp(kv[1][0], kv[1][1]) + kv[1][2])
    return list(best[0])


def prefix_beam_nbest(log_probs: np.ndarray, beam: int = 10, blank: int = 0, lm: CharLM | None = None,
                      chars: str = "", alpha: float = 0.6, beta: float = 1.0,
                      prune: float = -10.0) -> list[tuple[list[int], float]]:
    """The same search, but all its final beams: (labels, total score), best first.

    The total score is log P_ctc(prefix) + the LM's alpha·log P_lm + beta per character (0 without
    ``lm``); the first entry is exactly what :func:`prefix_beam` returns.
    """
    beams = _prefix_beams(log_probs, beam, blank, lm, chars, alpha, beta, prune)
    scored = [(list(p), _logsumexp(v[0], v[1]) + v[2]) for p, v in beams.items()]
    return sorted(scored, key=lambda h: h[1], reverse=True)  # stable: ties keep max()'s first


def _prefix_beams(log_probs: np.ndarray, beam: int, blank: int, lm: CharLM | None, chars: str,
                  alpha: float, beta: float, prune: float) -> dict[tuple[int, ...], list[float]]:
    T, C = log_probs.shape
    # beams: prefix → (log p ending in blank, log p ending in non-blank, lm score total)
    beams: dict[tuple[int, ...], list[float]] = {(): [0.0, NEG_INF, 0.0]}
    # The LM's log-probability of a class after a context of classes, kept on the LM per charset across
    # searches: the same numbers as calling lm.logprob each time, without building the context string again.
    lm_scores = lm.label_cache(chars) if lm is not None else {}
    history = lm.order - 1 if lm is not None else 0
    for t in range(T):
        lp = log_probs[t]
        cands = [int(c) for c in np.nonzero(lp > prune)[0]]
        if not cands:
            cands = [int(lp.argmax())]
        frame = lp.tolist()
        nxt: dict[tuple[int, ...], list[float]] = defaultdict(lambda: [NEG_INF, NEG_INF, 0.0])
        for prefix, (pb, pnb, lms) in beams.items():
            total = _logsumexp(pb, pnb)
            last = prefix[-1] if prefix else None
            context = prefix[-history:] if history > 0 else ()
            for c in cands:
                p = frame[c]
                if c == blank:
                    e = nxt[prefix]
                    e[0] = _logsumexp(e[0], total + p)
                    e[2] = lms
                    continue
                new = prefix + (c,)
                e = nxt[new]
                if lm is not None and e[0] <= NEG_INF and e[1] <= NEG_INF:
                    key = (context, c)
                    logprob = lm_scores.get(key)
                    if logprob is None:
                        logprob = lm_scores[key] = lm.logprob(chars[c - 1], "".join(chars[i - 1] for i in context))
                    e[2] = lms + alpha * logprob + beta
                elif lm is None:
                    e[2] = 0.0
                if c == last:
                    e[1] = _logsumexp(e[1], pb + p)  # repeated char needs a blank between
                    same = nxt[prefix]
                    same[1] = _logsumexp(same[1], pnb + p)
                    same[2] = lms
                else:
                    e[1] = _logsumexp(e[1], total + p)
        # heapq.nlargest is sorted(..., reverse=True)[:beam] (same order, ties included), without sorting all
        beams = dict(heapq.nlargest(beam, nxt.items(), key=lambda kv: _logsumexp(kv[1][0], kv[1][1]) + kv[1][2]))
    return beams


def align(log_probs: np.ndarray, labels: list[int], blank: int = 0) -> Decoded:
    """Viterbi (forced) alignment of ``labels`` to the frames: spans and confidences.

    Used after beam search, whose best prefix does not carry a single path.
    """
    T = log_probs.shape[0]
    L = len(labels)
    out = Decoded(labels=list(labels))
    if L == 0:
        return out
    ext = [blank]
    for c in labels:
        ext += [c, blank]
    S = len(ext)
    ext_a = np.array(ext)
    emit = log_probs[:, ext_a]  # T×S
    allow_skip = np.zeros(S, dtype=bool)
    for s in range(2, S):
        allow_skip[s] = ext[s] != blank and ext[s] != ext[s - 2]
    score = np.full(S, NEG_INF)
    score[0] = emit[0, 0]
    if S > 1:
        score[1] = emit[0, 1]
    back = np.zeros((T, S), dtype=np.int8)  # 0 stay, 1 from s-1, 2 from s-2
    for t in range(1, T):
        stay = score
        step = np.concatenate([[NEG_INF], score[:-1]])
        skip = np.where(allow_skip, np.concatenate([[NEG_INF, NEG_INF], score[:-2]]), NEG_INF)
        stacked = np.stack([stay, step, skip])
        choice = stacked.argmax(axis=0)
        score = stacked[choice, np.arange(S)] + emit[t]
        back[t] = choice
    end = S - 1 if S == 1 or score[S - 1] >= score[S - 2] else S - 2
    path = np.zeros(T, dtype=np.int64)
    s = end
    for t in range(T - 1, -1, -1):
        path[t] = s
        s -= int(back[t, s])
    probs = np.exp(log_probs)
    for k in range(L):
        state = 2 * k + 1
        fr = np.nonzero(path == state)[0]
        if len(fr) == 0:  # impossible alignment (too few frames): keep order, zero confidence
            out.frames.append((min(T - 1, k), min(T, k + 1)))
            out.confidences.append(0.0)
            continue
        out.frames.append((int(fr[0]), int(fr[-1]) + 1))
        out.confidences.append(float(probs[fr, labels[k]].max()))
    return out


def beam_decode(log_probs: np.ndarray, beam: int = 10, lm: CharLM | None = None, chars: str = "",
                alpha: float = 0.6, beta: float = 1.0) -> Decoded:
    """Prefix beam search, then forced alignment for per-character spans/confidences."""
    labels = prefix_beam(log_probs, beam=beam, lm=lm, chars=chars, alpha=alpha, beta=beta)
    return align(log_probs, labels)
