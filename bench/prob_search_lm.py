"""LM-informed word probabilities for bench/prob_search_eval.py (``--lm-nbest K``): measured, not built.

PrIx proper (Toselli, Vidal et al.) reads relevance probabilities off lattices that include the
language model; keyword spotting (models_ml/htr/kws.py) scores the raw CTC posteriors only. Here
each validation line is decoded by CTC prefix beam search *with* the model's character LM
(decode.prefix_beam_nbest, the card's alpha and beta), its K final beams kept with their total
scores, and a word's probability is its share of the normalised beam weight
(kws.nbest_word_posteriors; ``scale`` flattens the softmax). That probability is then used alone
or combined with the index's spotting probability (``combine``), and the result goes through the
same search's rule and cross-validations as the index.

Pure Python and numpy (no Django). The beams are kept in the ``--cache`` pickle, per (K, alpha, beta).
"""
from __future__ import annotations

import json
import math
import pickle
import time
from pathlib import Path

from models_ml.htr.decode import prefix_beam_nbest
from models_ml.htr.kws import word_tokens
from models_ml.htr.lm import CharLM

COMBINATIONS = ("lm", "max", "mean", "noisy-or", "geo-short")


def lm_settings(model_dir: str) -> tuple[float, float]:
    dec = json.loads((Path(model_dir) / "card.json").read_text(encoding="utf-8")).get("decoding", {})
    return float(dec.get("lm_alpha", 0.6)), float(dec.get("lm_beta", 1.0))


def nbest_readings(data: dict, k: int, cache: str | None = None) -> dict:
    """Every line's K final LM beams as (text, total score), best first; computed once, kept in the cache.

    Returns {"hyps": [[(text, score), ...] per line], "ms": CPU ms per line, "alpha", "beta"}."""
    alpha, beta = lm_settings(data["model_dir"])
    key = f"lm_nbest k={k} alpha={alpha} beta={beta}"
    if key not in data:
        lm = CharLM.load(Path(data["model_dir"]) / "lm.json")
        chars = data["chars"]
        t0 = time.process_time()
        hyps = []
        for lp in data["log_probs"]:
            beams = prefix_beam_nbest(lp, beam=k, lm=lm, chars=chars, alpha=alpha, beta=beta)
            hyps.append([("".join(chars[i - 1] for i in labels), score) for labels, score in beams])
        ms = (time.process_time() - t0) / max(1, len(hyps)) * 1000
        data[key] = {"hyps": hyps, "ms": ms, "alpha": alpha, "beta": beta}
        if cache:
            Path(cache).write_bytes(pickle.dumps(data))
    return data[key]


def combine(spot: dict[str, float], lm: dict[str, float], how: str) -> dict[str, float]:
    """One line's word → probability from the index's spotting (``spot``) and the LM beams (``lm``).

    lm: the beams' alone; max; mean (a word missing on one side counts 0 there); noisy-or
    (1 − (1 − a)(1 − b)); geo-short: words of 1–3 letters need both (√(a·b)), longer words take
    the max (the beams rarely hold a long word spotting does not).
    """
    if how == "lm":
        return dict(lm)
    out: dict[str, float] = {}
    for w in spot.keys() | lm.keys():
        a, b = spot.get(w, 0.0), lm.get(w, 0.0)
        if how == "max":
            p = max(a, b)
        elif how == "mean":
            p = (a + b) / 2
        elif how == "noisy-or":
            p = 1 - (1 - a) * (1 - b)
        elif how == "geo-short":
            p = math.sqrt(a * b) if len(w) <= 3 else max(a, b)
        else:
            raise ValueError(f"unknown combination {how!r}")
        if p > 0:
            out[w] = p
    return out


def first_readings(hyps: list[list[tuple[str, float]]]) -> list[set[str]]:
    """The beam+LM 1-best reading of each line, as search's word tokens."""
    return [set(word_tokens(h[0][0])) if h else set() for h in hyps]
