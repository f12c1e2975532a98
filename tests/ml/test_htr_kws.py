"""Keyword spotting on CTC posteriors (models_ml.htr.kws): pure logic on hand-made posteriors."""
from __future__ import annotations

import math

import numpy as np
import pytest

from models_ml.htr.kws import FoldedCharset, build_lexicon, keep_floor, load_lexicon, spot, word_tokens

CHARS = " abcdeEé,"  # class 0 = blank, 1 = space, 2.. = the letters, 9 = comma


def posteriors(frames: list[dict[str, float]]) -> np.ndarray:
    """Log-posteriors from per-frame {symbol: prob} ('_' = blank); the rest spread thinly over other classes."""
    out = np.full((len(frames), len(CHARS) + 1), 1e-6)
    for t, frame in enumerate(frames):
        for sym, p in frame.items():
            out[t, 0 if sym == "_" else CHARS.index(sym) + 1] = p
    out /= out.sum(axis=1, keepdims=True)
    return np.log(out)


def read(text: str, p: float = 1.0) -> list[dict[str, float]]:
    """One frame per character, then a blank frame: the line reads ``text`` with per-frame certainty p."""
    frames = []
    for ch in text:
        frames.append({ch: p} if p == 1.0 else {ch: p, "_": 1 - p})
        frames.append({"_": 1.0})
    return frames


@pytest.fixture
def charset() -> FoldedCharset:
    return FoldedCharset.of(CHARS)


def scores(lp: np.ndarray, words: list[str], charset: FoldedCharset) -> dict[str, float]:
    return {s.word: s.probability for s in spot(charset.fold(lp), words, charset)}


def test_a_word_read_for_sure_has_probability_one_and_a_word_absent_none(charset):
    found = scores(posteriors(read("abc de")), ["abc", "de", "cab", "bc", "ab", "abcde"], charset)
    assert found["abc"] == pytest.approx(1.0, abs=1e-3)
    assert found["de"] == pytest.approx(1.0, abs=1e-3)
    # whole words only: a piece of a word, or two words run together, is not the word
    assert found.get("cab", 0) < 1e-3 and found.get("bc", 0) < 1e-3 and found.get("ab", 0) < 1e-3
    assert found.get("abcde", 0) < 1e-3


def test_a_doubtful_letter_shares_the_probability_between_spellings(charset):
    frames = read("ab d")
    frames[2] = {"b": 0.7, "c": 0.3}  # the second letter: b or c
    found = scores(posteriors(frames), ["ab", "ac", "ad"], charset)
    assert found["ab"] == pytest.approx(0.7, abs=0.01)
    assert found["ac"] == pytest.approx(0.3, abs=0.01)
    assert found.get("ad", 0) < 1e-3


def test_a_word_is_bounded_by_spaces_punctuation_or_the_line_edges(charset):
    found = scores(posteriors(read("ab,cd")), ["ab", "cd", "abcd"], charset)
    assert found["ab"] == pytest.approx(1.0, abs=1e-3) and found["cd"] == pytest.approx(1.0, abs=1e-3)
    assert found.get("abcd", 0) < 1e-3


def test_case_and_accents_are_folded_as_search_folds_them(charset):
    frames = read("de")
    frames[2] = {"e": 0.4, "E": 0.3, "é": 0.3}
    found = scores(posteriors(frames), ["de"], charset)
    assert found["de"] == pytest.approx(1.0, abs=1e-3)  # e, E and é all read as the query's e
    assert charset.encode("dé") is None or charset.encode("de") == charset.encode("dé")
    assert charset.encode("xyz") is None  # letters the recognizer cannot write: never scored


def test_a_doubled_letter_needs_a_blank_between_its_frames(charset):
    merged = [{"a": 1.0}, {"a": 1.0}]  # "aa" frames collapse to one a
    separated = [{"a": 1.0}, {"_": 1.0}, {"a": 1.0}]
    assert scores(posteriors(merged), ["aa"], charset).get("aa", 0) < 1e-3
    assert scores(posteriors(merged), ["a"], charset)["a"] == pytest.approx(1.0, abs=1e-3)
    assert scores(posteriors(separated), ["aa"], charset)["aa"] == pytest.approx(1.0, abs=1e-3)


def test_the_frames_of_the_word_are_where_it_is_read(charset):
    lp = posteriors(read("ab cd"))  # a b _ c d: frames 0-3 = "ab", 4-5 = space, 6-9 = "cd"
    hits = {s.word: s for s in spot(charset.fold(lp), ["ab", "cd"], charset)}
    assert hits["ab"].frames[0] == 0 and hits["ab"].frames[1] <= 5
    assert hits["cd"].frames[0] == 6 and hits["cd"].frames[1] >= 9


def test_a_word_twice_counts_once_at_most_and_uncertain_letters_multiply(charset):
    found = scores(posteriors(read("ab ab")), ["ab"], charset)
    assert found["ab"] == 1.0  # capped: the probability that it is there, not how often
    weak = scores(posteriors(read("abc", p=0.8)), ["abc"], charset)["abc"]
    assert 0.3 < weak < 0.8  # every letter in doubt lowers the word


def test_lexicon_is_built_from_texts_and_loaded_from_a_model_directory(tmp_path):
    words = build_lexicon(["Le testament de Pâques", "le Testament, l'armée"])
    assert words[0].casefold() == "le" and "Pâques" in words and "armée" in words
    assert word_tokens("l'Œuvre de Pâques") == ["l", "oeuvre", "de", "paques"]
    (tmp_path / "lexicon.txt").write_text("# comment\nVerdun\n\nPâques\n", encoding="utf-8")
    assert load_lexicon(tmp_path) == ["Verdun", "Pâques"]
    assert len(load_lexicon(None)) > 1000  # the packaged lexicon of the training wills
    assert keep_floor("de") > keep_floor("testament")


@pytest.mark.parametrize("text", ["l'Œuvre de Pâques", "Æther, straße ſ", "Jean-Marie, 1914 !", "çà où"])
def test_words_are_cut_and_folded_exactly_as_search_does(text):
    from search.text import tokens  # pure Python: the index and models_ml must agree on what a word is

    assert word_tokens(text) == tokens(text)


def test_nbest_word_posteriors_share_the_hypotheses_weight() -> None:
    from models_ml.htr.kws import nbest_word_posteriors

    hyps = [("je lègue à ma femme", math.log(0.5)), ("je legue a ma ferme", math.log(0.3)),
            ("Je lègue la femme", math.log(0.2))]
    p = nbest_word_posteriors(hyps)
    assert p["je"] == pytest.approx(1.0) and p["legue"] == pytest.approx(1.0)  # in every hypothesis, folded
    assert p["femme"] == pytest.approx(0.7) and p["ferme"] == pytest.approx(0.3)
    assert p["a"] == pytest.approx(0.8) and p["la"] == pytest.approx(0.2)
    assert sum(p[w] for w in ("femme", "ferme")) == pytest.approx(1.0)  # weights sum to 1
    flat = nbest_word_posteriors(hyps, scale=0.0)  # scale 0: every hypothesis weighs the same
    assert flat["ferme"] == pytest.approx(1 / 3) and flat["je"] == pytest.approx(1.0)
    assert nbest_word_posteriors([]) == {}


def test_with_lm_words_averages_spotting_and_the_beams_share() -> None:
    from models_ml.htr.kws import with_lm_words

    spotted = {"testament": 0.0004, "de": 0.6, "ma": 0.2}
    lm = {"de": 1.0, "la": 0.3, "femme": 0.9, "x": 0.02}
    p = with_lm_words(spotted, lm)
    assert p["de"] == pytest.approx(0.8)  # both agree
    assert p["testament"] == pytest.approx(0.0002)  # spotted only: half, still kept (half its keep floor)
    assert p["ma"] == pytest.approx(0.1) and p["la"] == pytest.approx(0.15) and p["femme"] == pytest.approx(0.45)
    assert "x" not in p  # 0.01 < half the keep floor of a 1-letter word (0.025)
    assert with_lm_words(spotted, {}) == {w: q / 2 for w, q in spotted.items()}


def test_the_recognizer_weighs_the_lm_beams_into_its_index(tmp_path) -> None:
    """With an lm.json beside the weights, the index's words are the spotted ones (at half their probability)
    and the LM beams' words; with ``index_lm_beam = 0`` it is spotting alone, as before."""
    from PIL import Image

    from models_ml.htr.api import Recognizer, forward_arrays
    from models_ml.htr.decode import prefix_beam
    from models_ml.htr.lm import CharLM
    from tests.ml.conftest import Tiny

    model, charset = Tiny.model()
    Tiny.save(model, charset, tmp_path / "m")
    CharLM.build(["de la maison de ma mere"] * 20, charset.chars, order=3).save(tmp_path / "m" / "lm.json")
    rec = Recognizer(tmp_path / "m", "cpu")
    img = Image.fromarray((np.random.default_rng(0).random((40, 300)) * 255).astype("uint8"))
    rec.index_lm_beam = 0
    (alone,) = rec.recognize([img], alternatives=True)
    rec.index_lm_beam = 4
    (with_lm,) = rec.recognize([img], alternatives=True)
    assert alone.text == with_lm.text  # the reading stays greedy
    before = {w: p for e in alone.words for w, p in e["alternatives"]}
    after = {w: p for e in with_lm.words for w, p in e["alternatives"]}
    assert before and len(after) >= len(before)
    for w, p in before.items():
        assert after[w] == pytest.approx(p / 2, abs=1e-4) or after[w] > p / 2
    (log_probs,) = forward_arrays(rec.model, [rec.prepare([img])[0].array], "cpu")  # the LM 1-best's words are in
    best = charset.decode(prefix_beam(log_probs, beam=4, lm=rec.lm, chars=charset.chars, alpha=rec.alpha, beta=rec.beta))
    assert word_tokens(best)
    for tok in set(word_tokens(best)):
        assert any(tok in word_tokens(w) for w in after)
    for e in with_lm.words:
        x0, x1 = e["columns"]
        assert 0 <= x0 <= x1 <= 300


def test_a_beam_lm_reading_and_the_index_share_one_beam_search(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    """When the reading's beam and the index's LM beams are the same search, each line is searched once and
    the reading is that search's best beam: the same text and spans as the reading alone."""
    from PIL import Image

    import models_ml.htr.api as api
    from models_ml.htr.api import Recognizer
    from models_ml.htr.lm import CharLM
    from tests.ml.conftest import Tiny

    model, charset = Tiny.model()
    Tiny.save(model, charset, tmp_path / "m")
    CharLM.build(["de la maison de ma mere"] * 20, charset.chars, order=3).save(tmp_path / "m" / "lm.json")
    rec = Recognizer(tmp_path / "m", "cpu")
    rng = np.random.default_rng(1)
    imgs = [Image.fromarray((rng.random((40, w)) * 255).astype("uint8")) for w in (180, 300, 240)]
    rec.beam = rec.index_lm_beam = 4
    alone = rec.recognize(imgs, decoder="beam", lm=True)
    calls = {"beam_decode": 0, "nbest": 0}
    real_beam, real_nbest = api.beam_decode, api.prefix_beam_nbest

    def counting(name, fn):  # noqa: ANN001, ANN202
        def wrapped(*a, **k):  # noqa: ANN002, ANN003, ANN202
            calls[name] += 1
            return fn(*a, **k)
        return wrapped

    monkeypatch.setattr(api, "beam_decode", counting("beam_decode", real_beam))
    monkeypatch.setattr(api, "prefix_beam_nbest", counting("nbest", real_nbest))
    shared = rec.recognize(imgs, decoder="beam", lm=True, alternatives=True)
    assert calls == {"beam_decode": 0, "nbest": len(imgs)}
    assert [r.text for r in shared] == [r.text for r in alone]
    assert [r.char_frames for r in shared] == [r.char_frames for r in alone]
    assert [r.char_confidences for r in shared] == [r.char_confidences for r in alone]
    rec.index_lm_beam = 6  # not the same search: two per line, as before
    calls.update(beam_decode=0, nbest=0)
    rec.recognize(imgs, decoder="beam", lm=True, alternatives=True)
    assert calls == {"beam_decode": len(imgs), "nbest": len(imgs)}
