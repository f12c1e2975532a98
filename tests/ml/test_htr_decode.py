"""CTC decoding on hand-built posteriors: greedy, beam without LM, beam with an LM."""
from __future__ import annotations

import numpy as np
import pytest

from models_ml.htr.decode import align, beam_decode, greedy, prefix_beam, prefix_beam_nbest
from models_ml.htr.lm import CharLM

CHARS = "abt eh"  # ids 1..6; 0 is blank


def posteriors(rows: list[dict[int, float]], classes: int = len(CHARS) + 1) -> np.ndarray:
    """Log-probabilities from sparse rows; the rest of each row's mass goes to blank."""
    out = np.full((len(rows), classes), 1e-6)
    for t, row in enumerate(rows):
        for c, p in row.items():
            out[t, c] = p
        out[t, 0] += max(0.0, 1.0 - out[t].sum())
    out /= out.sum(axis=1, keepdims=True)
    return np.log(out)


def test_greedy_collapses_repeats_and_blanks_and_reports_spans() -> None:
    lp = posteriors([{1: 0.9}, {1: 0.8}, {}, {1: 0.7}, {2: 0.6}, {}])
    d = greedy(lp)
    assert d.labels == [1, 1, 2]  # "a a" separated by blank stays two a's
    assert d.frames == [(0, 2), (3, 4), (4, 5)]
    assert d.confidences[0] == pytest.approx(0.9, abs=1e-3)
    assert d.confidences[2] == pytest.approx(0.6, abs=1e-3)


def test_beam_sums_paths_where_greedy_takes_the_best_single_frame() -> None:
    # Each frame alone prefers blank (0.4 > 0.35 "a" and 0.25 "b"), so greedy reads nothing;
    # summed over alignments, "a" is the most probable labelling.
    lp = posteriors([{1: 0.35, 2: 0.25}, {1: 0.35, 2: 0.25}])
    assert greedy(lp).labels == []
    assert prefix_beam(lp, beam=8) == [1]


def test_beam_without_lm_agrees_with_greedy_on_peaked_posteriors() -> None:
    lp = posteriors([{3: 0.95}, {}, {5: 0.9}, {6: 0.9}, {}, {2: 0.97}])
    assert prefix_beam(lp, beam=5) == greedy(lp).labels == [3, 5, 6, 2]


def test_lm_changes_the_reading() -> None:
    # "th?": the image slightly prefers "a" (id 1) over "e" (id 5) for the third letter.
    lp = posteriors([{3: 0.95}, {}, {6: 0.95}, {}, {1: 0.5, 5: 0.4}, {}])
    assert "".join(CHARS[i - 1] for i in prefix_beam(lp, beam=8)) == "tha"
    lm = CharLM.build(["the the the then bathe the"] * 20, CHARS, order=3)
    with_lm = beam_decode(lp, beam=8, lm=lm, chars=CHARS, alpha=1.0, beta=0.0)
    assert "".join(CHARS[i - 1] for i in with_lm.labels) == "the"
    assert len(with_lm.frames) == 3 and with_lm.frames[2][0] == 4


def test_forced_alignment_gives_ordered_spans_and_confidences() -> None:
    lp = posteriors([{3: 0.9}, {3: 0.9}, {}, {6: 0.8}, {5: 0.7}, {5: 0.6}])
    d = align(lp, [3, 6, 5])
    assert d.frames == [(0, 2), (3, 4), (4, 6)]
    assert d.confidences == pytest.approx([0.9, 0.8, 0.7], abs=1e-3)


def test_lm_probabilities_normalise_and_prefer_seen_text() -> None:
    lm = CharLM.build(["the cat sat on the mat"] * 5, "acehmnost ", order=3)
    total = sum(lm.prob(c, "th") for c in "acehmnost ")
    assert total == pytest.approx(1.0, abs=0.02)
    assert lm.prob("e", "th") > lm.prob("a", "th")


def test_lm_number_lines_teach_long_numbers_and_dates(tmp_path) -> None:  # noqa: ANN001
    """Prose alone makes a number short; the LM's number lines make digits follow digits and dates."""
    from models_ml.htr.commands import build_lm

    build_lm(tmp_path / "prose.json", order=5, max_chars=60_000)
    build_lm(tmp_path / "numbers.json", order=5, max_chars=60_000, number_lines=2_000)
    prose, numbers = CharLM.load(tmp_path / "prose.json"), CharLM.load(tmp_path / "numbers.json")
    assert numbers.prob("7", "3184") > 2 * prose.prob("7", "3184")
    assert numbers.prob("1", "12/3/") > 2 * prose.prob("1", "12/3/")
    # letters after a word are left as prose taught them
    assert abs(numbers.prob("e", " th") - prose.prob("e", " th")) < 0.1 * prose.prob("e", " th")


def test_nbest_beam_starts_with_prefix_beams_reading_and_lists_its_rivals() -> None:
    lp = posteriors([{3: 0.95}, {}, {6: 0.95}, {}, {1: 0.5, 5: 0.4}, {}])
    lm = CharLM.build(["the the the then bathe the"] * 20, CHARS, order=3)
    for kwargs in ({}, {"lm": lm, "chars": CHARS, "alpha": 1.0, "beta": 0.0}):
        hyps = prefix_beam_nbest(lp, beam=8, **kwargs)
        assert hyps[0][0] == prefix_beam(lp, beam=8, **kwargs)
        assert [s for _, s in hyps] == sorted((s for _, s in hyps), reverse=True)
        assert 1 < len(hyps) <= 8 and len({tuple(h) for h, _ in hyps}) == len(hyps)
    texts = {"".join(CHARS[i - 1] for i in h) for h, _ in prefix_beam_nbest(lp, beam=8)}
    assert {"tha", "the"} <= texts


def test_nbest_beam_scores_are_ctc_log_probabilities_without_lm() -> None:
    # two frames, "a" 0.6 / blank 0.4 each: P("a") = 0.6·0.6 + 2·0.6·0.4 = 0.84, P("") = 0.16
    lp = posteriors([{1: 0.6}, {1: 0.6}])
    hyps = dict((tuple(h), s) for h, s in prefix_beam_nbest(lp, beam=4))
    assert np.exp(hyps[(1,)]) == pytest.approx(0.84, abs=1e-3)
    assert np.exp(hyps[()]) == pytest.approx(0.16, abs=1e-3)
