"""Word alternatives from CTC posteriors (models_ml.htr.words): pure logic on hand-made posteriors."""
from __future__ import annotations

import math

import numpy as np
import pytest

from models_ml.htr.words import nbest_labellings, word_slots

CHARS = " abc"  # class 1 = space, 2 = a, 3 = b, 4 = c; 0 = blank
IDX = {"_": 0, " ": 1, "a": 2, "b": 3, "c": 4}


def posteriors(frames: list[dict[str, float]]) -> np.ndarray:
    """Log-posteriors from per-frame {symbol: prob}; the rest of the mass is spread over unnamed classes."""
    out = np.full((len(frames), len(CHARS) + 1), 1e-6)
    for t, frame in enumerate(frames):
        for sym, p in frame.items():
            out[t, IDX[sym]] = p
    out /= out.sum(axis=1, keepdims=True)
    return np.log(out)


def test_nbest_sums_all_alignments_of_a_labelling():
    # two frames, each 'a' 0.5 / blank 0.5: P("a") = .25 (a a) + .25 (a _) + .25 (_ a) = .75, P("") = .25
    lp = posteriors([{"a": 0.5, "_": 0.5}, {"a": 0.5, "_": 0.5}])
    found = {labels: math.exp(lp_) for labels, lp_ in nbest_labellings(lp)}
    assert found[(IDX["a"],)] == pytest.approx(0.75, abs=1e-4)
    assert found[()] == pytest.approx(0.25, abs=1e-4)


def test_a_doubtful_character_gives_two_spellings_with_their_probabilities():
    lp = posteriors([{"a": 1}, {"_": 1}, {"b": 0.7, "c": 0.3}, {" ": 1}, {"c": 1}, {"a": 1}])
    slots = word_slots(lp, CHARS)
    assert [s.best() for s in slots] == ["ab", "ca"]
    first = dict(slots[0].alternatives)
    assert first["ab"] == pytest.approx(0.7, abs=0.01)
    assert first["ac"] == pytest.approx(0.3, abs=0.01)
    assert slots[0].frames == (0, 3) and slots[1].frames == (4, 6)


def test_a_doubtful_space_also_offers_the_joined_word():
    lp = posteriors([{"a": 1}, {" ": 0.6, "_": 0.4}, {"b": 1}])
    slots = word_slots(lp, CHARS)
    words = {w: p for s in slots for w, p in s.alternatives}
    assert words["a"] == pytest.approx(1.0, abs=0.01) and words["b"] == pytest.approx(1.0, abs=0.01)
    assert words["ab"] == pytest.approx(0.4, abs=0.01)  # P(no space) times P("ab" | frames)


def test_a_doubtful_space_inside_a_word_offers_its_halves():
    lp = posteriors([{"a": 1}, {"_": 0.7, " ": 0.3}, {"b": 1}, {"c": 1}])
    slots = word_slots(lp, CHARS)
    words = {w: p for s in slots for w, p in s.alternatives}
    assert words["abc"] == pytest.approx(1.0, abs=0.01)
    assert words["a"] == pytest.approx(0.3, abs=0.01) and words["bc"] == pytest.approx(0.3, abs=0.01)


def test_certain_spaces_and_blank_gaps_make_no_slots():
    assert word_slots(posteriors([{" ": 1}, {"_": 1}, {" ": 1}]), CHARS) == []
    assert word_slots(np.zeros((0, 5)), CHARS) == []
    with pytest.raises(ValueError):
        word_slots(posteriors([{"a": 1}]), "abc")


def test_the_recognizer_keeps_alternatives_as_image_columns(tmp_path):
    """A (tiny, untrained) recognizer's readings carry word positions with columns inside the image."""
    from PIL import Image

    from models_ml.htr.api import Recognizer
    from tests.ml.conftest import Tiny

    model, charset = Tiny.model()
    Tiny.save(model, charset, tmp_path / "m")
    rec = Recognizer(tmp_path / "m", "cpu")
    img = Image.fromarray((np.random.default_rng(0).random((40, 300)) * 255).astype("uint8"))
    (reading,) = rec.recognize([img], alternatives=True)
    (plain,) = rec.recognize([img])
    assert plain.words == []
    for word in reading.words:
        x0, x1 = word["columns"]
        assert 0 <= x0 <= x1 <= 300
        assert all(0 < p <= 1.0001 for _, p in word["alternatives"])
