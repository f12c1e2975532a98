"""Keyword spotting on CTC posteriors: P(the line contains word w), for many candidate words at once.

The probabilistic index of PrIx (Toselli, Vidal et al.) gives each (word, line) pair a relevance
probability, computed from the recognizer's posteriors rather than read off a few decoded
strings. Here that probability is the CTC probability that the line's transcript contains ``w``
as a whole word: a forward pass over a small automaton on the frame labels,

    filler … separator | w₁ … w_L (CTC: repeats, blanks) | separator … filler  (or a line edge),

where a *separator* is any class that is not a letter or digit (space, punctuation), as search
tokenises. Summed over every start position, the value is the expected number of occurrences,
capped at 1 (for a word seen once, the probability that it is there). Posteriors are folded the
way search folds text (no case, no accents: the classes of ``e é è ê E É`` add up), so a query
``paques`` scores ``Pâques``. Every word of a batch runs in one numpy pass (no Python per word).

The candidates come from elsewhere (words.py's slot spellings, the 1-best reading, a lexicon):
scoring a word never seen by the decoder is what finds the lines the beam dropped it from.
Pure numpy: no torch, no Django.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models_ml.textfold import TOKEN, fold_char
from models_ml.textfold import tokens as word_tokens  # as search cuts words

RAW_WORD = TOKEN  # original spelling of a token (accents, capitals) is what the lexicon keeps
BLANK, SEP, OTHER = 0, 1, 2  # folded columns: CTC blank, any separator, a letter that folds to 2+ letters


@dataclass
class FoldedCharset:
    """How the recognizer's classes map onto folded columns, and the folded alphabet's letters."""

    column_of_class: np.ndarray  # class index → folded column
    letters: dict[str, int]  # folded letter → column

    @classmethod
    def of(cls, chars: str) -> FoldedCharset:
        letters: dict[str, int] = {}
        cols = [BLANK]
        for ch in chars:  # class i + 1 is chars[i]
            f = fold_char(ch)
            if len(f) == 1 and f.isalnum():
                cols.append(letters.setdefault(f, 3 + len(letters)))
            elif any(c.isalnum() for c in f):
                cols.append(OTHER)  # œ, æ: a letter, but not one a single query letter matches
            else:
                cols.append(SEP)
        return cls(np.asarray(cols, dtype=np.int64), letters)

    @property
    def width(self) -> int:
        return 3 + len(self.letters)

    def fold(self, log_probs: np.ndarray) -> np.ndarray:
        """(T, C) log-posteriors → (T, folded columns) probabilities (classes of one folded letter summed)."""
        probs = np.exp(log_probs.astype(np.float64))
        out = np.zeros((probs.shape[0], self.width))
        np.add.at(out.T, self.column_of_class, probs.T)
        return out

    def encode(self, word: str) -> list[int] | None:
        """A folded word as columns; None when a letter is not in the charset (it can never be read)."""
        cols = [self.letters.get(c) for c in word]
        return None if not cols or None in cols else cols  # type: ignore[return-value]


# What the index keeps, by word length: a little below the least probability search asks of each
# length (search.query.ALTERNATIVE_FLOOR), so a word's row is there whatever threshold is chosen,
# while a line keeps ~40 rows, not thousands (the lexicon's short words score a little everywhere).
KEEP_FLOOR = {1: 0.05, 2: 0.05, 3: 0.02, 4: 0.005, 5: 0.001}
KEEP_LONG = 0.0002


def keep_floor(word: str) -> float:
    return KEEP_FLOOR.get(len(word), KEEP_LONG)


@dataclass
class Spotted:
    """A word's relevance probability in a line, and the frames of its most likely occurrence."""

    word: str
    probability: float
    frames: tuple[int, int]


def spot(probs: np.ndarray, words: Sequence[str], charset: FoldedCharset, min_prob: float = 0.0) -> list[Spotted]:
    """Relevance probability of each word in one line (``probs`` from :meth:`FoldedCharset.fold`).

    Words are scored in batches of equal length (no padding). Returns those ≥ ``min_prob``.
    """
    by_len: dict[int, list[tuple[str, list[int]]]] = {}
    for w in dict.fromkeys(words):
        enc = charset.encode(w)
        if enc is not None:
            by_len.setdefault(len(enc), []).append((w, enc))
    out: list[Spotted] = []
    for _, items in sorted(by_len.items()):
        labels = np.asarray([enc for _, enc in items], dtype=np.int64)  # (W, L)
        score, start, end = _forward(probs, labels)
        for (w, _), p, s, e in zip(items, score, start, end, strict=True):
            if p >= min_prob and p > 0:
                out.append(Spotted(w, float(min(1.0, p)), (int(s), int(e))))
    return out


def _forward(probs: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The automaton's forward pass for W words of one length L, all at once.

    States per word: P0 (nothing yet, or a separator last: a word may start), P1 (a letter last),
    Wj (the word's j-th letter last), Bj (a blank after it), E (the word and a separator behind it).
    A word starting at P0 is also followed as P1 (another occurrence may come later), so the sum
    over accepting paths counts occurrences. Alongside the masses runs the mass-weighted start
    frame, which gives where the word most likely is.
    """
    T = probs.shape[0]
    W, L = labels.shape
    p0, p1 = np.ones(W), np.zeros(W)
    w, b = np.zeros((W, L)), np.zeros((W, L))
    ws, bs = np.zeros((W, L)), np.zeros((W, L))  # mass × start frame
    e = np.zeros(W)
    best_inc, best_end, best_start = np.zeros(W), np.zeros(W, dtype=np.int64), np.zeros(W)
    # a letter repeated (ll, ss) needs a blank between its two frames runs
    step_ok = np.ones((W, L), dtype=bool)
    step_ok[:, 1:] = labels[:, 1:] != labels[:, :-1]
    for t in range(T):
        y = probs[t]
        yb, ys = y[BLANK], y[SEP]
        yletter = 1.0 - yb - ys
        yl = y[labels]  # (W, L)
        # leaving the word: a separator after its last letter
        done = w[:, -1] + b[:, -1]
        inc = done * ys
        better = inc > best_inc
        if better.any():
            best_inc = np.where(better, inc, best_inc)
            best_end = np.where(better, t, best_end)
            best_start = np.where(better, (ws[:, -1] + bs[:, -1]) / np.maximum(done, 1e-300), best_start)
        e = e + inc
        into = np.empty((W, L))
        into_s = np.empty((W, L))
        into[:, 0] = p0
        into_s[:, 0] = p0 * t
        into[:, 1:] = b[:, :-1] + np.where(step_ok[:, 1:], w[:, :-1], 0.0)
        into_s[:, 1:] = bs[:, :-1] + np.where(step_ok[:, 1:], ws[:, :-1], 0.0)
        nw = yl * (w + into)
        nws = yl * (ws + into_s)
        nb = yb * (w + b)
        nbs = yb * (ws + bs)
        p0, p1 = p0 * (yb + ys) + p1 * ys, p1 * (yb + yletter) + p0 * yletter
        w, b, ws, bs = nw, nb, nws, nbs
    done = w[:, -1] + b[:, -1]  # the word ends the line
    better = done > best_inc
    best_end = np.where(better, T, best_end)
    best_start = np.where(better, (ws[:, -1] + bs[:, -1]) / np.maximum(done, 1e-300), best_start)
    return e + done, np.rint(best_start).astype(np.int64), best_end


def nbest_word_posteriors(hypotheses: Sequence[tuple[str, float]], scale: float = 1.0) -> dict[str, float]:
    """P(word in line) from N-best readings: each word's share of the hypotheses' normalised weight.

    ``hypotheses`` are (text, total log score), e.g. the final beams of an LM beam search
    (decode.prefix_beam_nbest, labels decoded to text). Weights are softmax(``scale`` · score), so a
    scale below 1 flattens the beam's over-confident spread; a word's probability is the summed
    weight of the hypotheses whose tokens (folded as search folds them) contain it.
    """
    if not hypotheses:
        return {}
    scores = np.asarray([score for _, score in hypotheses], dtype=np.float64) * scale
    weights = np.exp(scores - scores.max())
    weights /= weights.sum()
    out: dict[str, float] = {}
    for (text, _), wt in zip(hypotheses, weights, strict=True):
        for tok in set(word_tokens(text)):
            out[tok] = out.get(tok, 0.0) + float(wt)
    return {tok: min(1.0, p) for tok, p in out.items()}


# The LM-informed index (docs/search.md, "An LM-informed index"): each line is also decoded by CTC prefix
# beam search with the model's character LM, its LM_INDEX_BEAM final beams kept, and a word's probability
# in the index is the mean of its spotting probability and its share of the beams (nbest_word_posteriors
# at LM_INDEX_SCALE). Measured on the validation wills with bench/prob_search_eval.py --lm-nbest.
LM_INDEX_BEAM = 32
LM_INDEX_SCALE = 1.0


def with_lm_words(spotted: dict[str, float], lm_words: dict[str, float]) -> dict[str, float]:
    """word → the index's probability: the mean of its spotting probability and its LM N-best share.

    ``spotted`` holds the words spotting keeps (≥ :func:`keep_floor`), ``lm_words`` the beams' shares
    (:func:`nbest_word_posteriors`); a word missing on one side counts 0 there. Kept: ≥ half the
    word's keep floor (a word only spotted keeps what spotting kept, at half its probability).
    """
    out = {}
    for w in spotted.keys() | lm_words.keys():
        p = (spotted.get(w, 0.0) + lm_words.get(w, 0.0)) / 2
        if p >= keep_floor(w) / 2:
            out[w] = p
    return out


def candidates(slot_words: Iterable[str], best_text_tokens: Iterable[str], lexicon: Iterable[str] = ()) -> list[str]:
    """The words to score for one line: its N-best slot spellings, its 1-best words and a lexicon."""
    return list(dict.fromkeys([*slot_words, *best_text_tokens, *lexicon]))


LEXICON_FILE = "lexicon.txt"
DEFAULT_LEXICON = Path(__file__).with_name("lexicon-testaments.txt")


def build_lexicon(texts: Iterable[str], min_count: int = 1) -> list[str]:
    """Words of training texts, most frequent first, each in its most frequent written form."""
    counts: Counter[str] = Counter()
    forms: dict[str, Counter[str]] = {}
    for text in texts:
        for raw in RAW_WORD.findall(text):
            toks = word_tokens(raw)
            if len(toks) != 1:
                continue
            counts[toks[0]] += 1
            forms.setdefault(toks[0], Counter())[raw] += 1
    return [forms[w].most_common(1)[0][0] for w, n in counts.most_common() if n >= min_count]


def load_lexicon(model_dir: Path | None = None) -> list[str]:
    """The model directory's ``lexicon.txt`` if it has one, else the packaged lexicon of the training wills."""
    path = model_dir / LEXICON_FILE if model_dir is not None and (model_dir / LEXICON_FILE).exists() else DEFAULT_LEXICON
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]


def _main(argv: list[str] | None = None) -> int:
    """Write the packaged lexicon from the real training wills (never the validation ones)."""
    import argparse

    from models_ml import realdata
    from models_ml.htr.groundtruth import read_ground_truth

    ap = argparse.ArgumentParser(description="write the keyword-spotting lexicon from the training wills")
    ap.add_argument("--out", default=str(DEFAULT_LEXICON))
    args = ap.parse_args(argv)
    texts = [ln.text for f in realdata.ground_truth_files("train") for ln in read_ground_truth(f).lines]
    words = build_lexicon(texts)
    Path(args.out).write_text(f"# {len(words)} words of the training wills' lines, most frequent first "
                              f"(models_ml/htr/kws.py). {realdata.CREDIT}\n" + "\n".join(words) + "\n", encoding="utf-8")
    print(f"{len(words)} words → {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
