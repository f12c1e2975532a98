"""Public recognizer API used by the archive's Celery tasks (keep signatures stable)."""
from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from models_ml import registry
from models_ml.htr.data import Charset, collate, plan_batches, preprocess
from models_ml.htr.decode import Decoded, align, beam_decode, greedy, prefix_beam_nbest
from models_ml.htr.kws import (
    LM_INDEX_BEAM,
    LM_INDEX_SCALE,
    RAW_WORD,
    FoldedCharset,
    keep_floor,
    load_lexicon,
    nbest_word_posteriors,
    spot,
    with_lm_words,
    word_tokens,
)
from models_ml.htr.lm import LM_FILE, CharLM
from models_ml.htr.model import CRNN, CRNNConfig
from models_ml.htr.widthnorm import WidthNorm
from models_ml.htr.words import word_slots

# The fixed price of one forward call, in padded pixel columns (see data.plan_batches). Measured
# on CPU (1 thread, bench/htr_bench.py --calibrate): a call costs about as much as 300 columns
# more of line. On a GPU a call's launch cost dwarfs columns, so batches there are simply filled.
BATCH_COST_COLUMNS = {"cpu": 300.0, "cuda": 20_000.0}


@dataclass
class LineReading:
    """The reading of one line image, with per-character evidence."""

    text: str
    confidence: float
    char_confidences: list[float] = field(default_factory=list)
    char_frames: list[tuple[int, int]] = field(default_factory=list)
    char_columns: list[tuple[int, int]] = field(default_factory=list)
    frames: int = 0
    # Per word position: {"columns": [x0, x1], "alternatives": [[spelling, probability], ...]} (see words.py)
    words: list[dict] = field(default_factory=list)


@dataclass
class PreparedLine:
    """A line image made ready for the model (greyscale, normalised to model height), and its source width."""

    array: np.ndarray
    source_width: int


def auto_device(device: str | None = None) -> str:
    if device:
        return device
    return "cuda" if torch.cuda.is_available() else "cpu"


def build_model(card: dict) -> tuple[CRNN, Charset]:
    """An untrained CRNN shaped as the card describes, and its charset."""
    cfg = CRNNConfig.from_dict(card["architecture"]["config"])
    return CRNN(cfg), Charset(card["charset"])


def load_model(model_dir: str | Path, device: str = "cpu") -> tuple[CRNN, Charset, dict]:
    """Verify the sha256, then load weights into a CRNN in eval mode."""
    from safetensors.torch import load_file

    card = registry.verify(model_dir)
    model, charset = build_model(card)
    state = load_file(str(Path(model_dir) / registry.WEIGHTS))
    state = {k: v.float() for k, v in state.items()}
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise registry.ModelError(f"weights in {model_dir} do not fit the card's architecture: {exc}") from exc
    return model.to(device).eval(), charset, card


def forward_arrays(model: CRNN, arrays: Sequence[np.ndarray], device: str) -> list[np.ndarray]:
    """Run preprocessed lines (same height) through the model; per-line (T_i, C) log-probs."""
    x, widths = collate(arrays)
    with torch.inference_mode():
        lp, lengths = model(torch.from_numpy(x).to(device), torch.from_numpy(widths).to(device))
    lp = lp.float().cpu().numpy()
    return [lp[: int(n), i] for i, n in enumerate(lengths.cpu().tolist())]


def geometric_mean(values: Sequence[float]) -> float:
    if not values:
        return 1.0
    return float(math.exp(sum(math.log(max(v, 1e-6)) for v in values) / len(values)))


class Recognizer:
    """A loaded recognizer: call :meth:`recognize` with line images."""

    def __init__(self, model_dir: str | Path, device: str | None = None) -> None:
        self.model_dir = Path(model_dir)
        self.device = auto_device(device)
        self.model, self.charset, self.card = load_model(self.model_dir, self.device)
        self.height = self.model.cfg.height
        self.width_norm = WidthNorm.from_card(self.card)  # lines are read as the model was trained to see them
        self.downsample = self.model.cfg.downsample
        self._lm: CharLM | None = None
        # word_slots() options (k, beam, min_prob, ...); empty: its defaults (bench/prob_search_eval.py varies them)
        self.word_options: dict = {}
        # Keyword spotting (kws.py): the index's relevance probabilities. "slots" keeps only word_slots' spellings.
        self.index_mode = "spot"
        # With the model's LM (lm.json), the index also weighs the LM beam search's N-best readings (kws.with_lm_words);
        # 0: spotting alone.
        self.index_lm_beam = LM_INDEX_BEAM
        self._lexicon: list[str] | None = None
        self._folded: FoldedCharset | None = None
        dec = self.card.get("decoding", {})
        self.alpha, self.beta, self.beam = float(dec.get("lm_alpha", 0.6)), float(dec.get("lm_beta", 1.0)), \
            int(dec.get("beam", 10))

    @property
    def lm(self) -> CharLM | None:
        """The character LM stored beside the weights, loaded on first use."""
        if self._lm is None and (self.model_dir / LM_FILE).exists():
            self._lm = CharLM.load(self.model_dir / LM_FILE)
        return self._lm

    def decode(self, log_probs: np.ndarray, decoder: str = "greedy", lm: bool = False) -> Decoded:
        if decoder == "greedy":
            return greedy(log_probs)
        if decoder == "beam":
            model_lm = self.lm if lm else None
            if lm and model_lm is None:
                raise registry.ModelError(f"model {self.model_dir} has no {LM_FILE} for LM decoding")
            return beam_decode(log_probs, beam=self.beam, lm=model_lm, chars=self.charset.chars,
                               alpha=self.alpha, beta=self.beta)
        raise ValueError(f"unknown decoder {decoder!r} (greedy or beam)")

    @property
    def lexicon(self) -> list[str]:
        """Words scored on every line besides its own candidates (kws.load_lexicon: model's, else packaged)."""
        if self._lexicon is None:
            self._lexicon = load_lexicon(self.model_dir)
        return self._lexicon

    def word_alternatives(self, log_probs: np.ndarray, to_columns=None,  # noqa: ANN001
                          nbest: list[tuple[list[int], float]] | None = None) -> list[dict]:
        """The line's probabilistic index (image columns when ``to_columns`` maps frames).

        Each entry is {"columns": [x0, x1], "alternatives": [[spelling, p], ...]} and, for a spotted
        word, "best" (what the 1-best path reads there). With ``index_mode == "spot"`` (default) every
        candidate word (word_slots' spellings, the 1-best words, the lexicon) gets its keyword-spotting
        probability P(word in line) and those above kws.keep_floor are kept, one entry each. With the
        model's LM and ``index_lm_beam`` > 0 (default kws.LM_INDEX_BEAM) the words of the LM beam search's
        final beams are candidates too, and each entry's probability is kws.with_lm_words': the mean of
        spotting's and the beams' share. With "slots" the entries are word_slots' positions and spellings
        as they come. ``nbest``: the LM beam search's final beams when the caller already ran it
        (the reading shares it, :meth:`recognize_prepared`).
        """
        out: list[dict] = []
        if " " not in self.charset.chars:
            return out
        slots = word_slots(log_probs, self.charset.chars, **self.word_options)
        if self.index_mode == "slots":
            for slot in slots:
                span = to_columns(*slot.frames) if to_columns else slot.frames
                out.append({"columns": [int(span[0]), int(span[1])],
                            "alternatives": [[w, round(p, 4)] for w, p in slot.alternatives]})
            return out
        if self._folded is None:
            self._folded = FoldedCharset.of(self.charset.chars)
        lm_words, lm_texts = self._lm_words(log_probs, nbest)
        spellings: dict[str, str] = {}
        forms = [raw for form in [w for slot in slots for w, _ in slot.alternatives] + self.lexicon for raw in form.split()]
        for raw in forms + [raw for text in lm_texts for raw in RAW_WORD.findall(text)]:
            toks = word_tokens(raw)
            if len(toks) == 1:
                spellings.setdefault(toks[0], raw)
        path = log_probs.argmax(axis=1)
        for tok in word_tokens(self.charset.decode(greedy(log_probs).labels)):
            spellings.setdefault(tok, tok)
        # every candidate's span comes from spotting; its probability counts only when spotting would keep it
        hits = {h.word: h for h in spot(self._folded.fold(log_probs), list(spellings), self._folded)}
        spotted = {w: h.probability for w, h in hits.items() if h.probability >= keep_floor(w)}
        probability = with_lm_words(spotted, lm_words) if self.index_lm_beam and self.lm is not None else spotted
        for word, p in probability.items():
            a, b = hits[word].frames if word in hits else (0, int(log_probs.shape[0]))
            span = to_columns(a, b) if to_columns else (a, b)
            seen = self.charset.decode([int(c) for i, c in enumerate(path[a:b]) if c and (i == 0 or c != path[a + i - 1])])
            out.append({"columns": [int(span[0]), int(span[1])], "best": seen.strip(),
                        "alternatives": [[spellings.get(word, word), round(p, 4)]]})
        out.sort(key=lambda e: (e["columns"][0], -e["alternatives"][0][1]))
        return out

    def _lm_words(self, log_probs: np.ndarray,
                  nbest: list[tuple[list[int], float]] | None = None) -> tuple[dict[str, float], list[str]]:
        """The LM beam search's N-best word shares (kws.nbest_word_posteriors) and texts; none without an LM."""
        if not self.index_lm_beam or self.lm is None:
            return {}, []
        hyps = [(self.charset.decode(labels), score) for labels, score in (nbest or self._lm_nbest(log_probs))]
        return nbest_word_posteriors(hyps, LM_INDEX_SCALE), [text for text, _ in hyps]

    def _lm_nbest(self, log_probs: np.ndarray) -> list[tuple[list[int], float]]:
        return prefix_beam_nbest(log_probs, beam=self.index_lm_beam, lm=self.lm, chars=self.charset.chars,
                                 alpha=self.alpha, beta=self.beta)

    def _shares_lm_beam(self, decoder: str, lm: bool, alternatives: bool) -> bool:
        """Whether a beam + LM reading and the index's LM beams are one search (same width, same LM weights):
        then each line is searched once, and the reading is its best beam."""
        return (alternatives and decoder == "beam" and lm and self.index_mode == "spot"
                and self.index_lm_beam == self.beam and self.lm is not None)

    def prepare(self, images: Sequence[Image.Image]) -> list[PreparedLine]:
        """The CPU-side preprocessing of :meth:`recognize`, separable so a job can run it on a loader thread."""
        return [PreparedLine(self.preprocess(img), img.width) for img in images]

    def preprocess(self, image: Image.Image) -> np.ndarray:
        """One line image as this model reads it: its height, and its card's width normalisation."""
        return preprocess(image, self.height, self.width_norm)

    def recognize(self, images: list[Image.Image], decoder: str = "greedy", batch_size: int = 16,
                  lm: bool = False, alternatives: bool = False) -> list[LineReading]:
        """Read line images; batches by width internally, returns readings in input order."""
        return self.recognize_prepared(self.prepare(images), decoder=decoder, batch_size=batch_size, lm=lm,
                                       alternatives=alternatives)

    def recognize_prepared(self, lines: Sequence[PreparedLine], decoder: str = "greedy", batch_size: int = 16,
                           lm: bool = False, alternatives: bool = False) -> list[LineReading]:
        """Read prepared lines (see :meth:`prepare`): the model's forward pass and decoding only.

        Lines are cut into batches of up to ``batch_size`` by width (``plan_batches``), so a
        short and a long line rarely share a batch and little is spent on padding. With
        ``alternatives`` each reading also keeps its word positions' likely spellings (words.py).
        """
        cost = BATCH_COST_COLUMNS.get(str(self.device).split(":")[0], BATCH_COST_COLUMNS["cuda"])
        results: list[LineReading | None] = [None] * len(lines)
        shared = self._shares_lm_beam(decoder, lm, alternatives)
        for idx in plan_batches([line.array.shape[1] for line in lines], batch_size, cost):
            outs = forward_arrays(self.model, [lines[i].array for i in idx], self.device)
            for i, lp in zip(idx, outs, strict=False):
                nbest = self._lm_nbest(lp) if shared else None
                d = align(lp, nbest[0][0]) if nbest else self.decode(lp, decoder, lm)
                scale = lines[i].source_width / max(1, lines[i].array.shape[1])
                k = self.downsample
                cols = [(int(math.floor(a * k * scale)), min(lines[i].source_width, int(math.ceil(b * k * scale))))
                        for a, b in d.frames]

                def to_columns(a: int, b: int, width: int = lines[i].source_width, scale: float = scale * k) -> tuple[int, int]:
                    return int(math.floor(a * scale)), min(width, int(math.ceil(b * scale)))

                results[i] = LineReading(text=self.charset.decode(d.labels),
                                         confidence=geometric_mean(d.confidences),
                                         char_confidences=[round(c, 4) for c in d.confidences],
                                         char_frames=list(d.frames), char_columns=cols, frames=int(lp.shape[0]),
                                         words=self.word_alternatives(lp, to_columns, nbest) if alternatives else [])
        return [r for r in results if r is not None]


@functools.lru_cache(maxsize=8)
def _cached(path: str, device: str) -> Recognizer:
    return Recognizer(path, device)


def load_recognizer(model_dir: str | Path | None = None, device: str | None = None) -> Recognizer:
    """Load (once per resolved path and device) a recognizer; None → the shipped default."""
    path = Path(model_dir) if model_dir else registry.default_model_dir()
    return _cached(str(path.resolve()), auto_device(device))
