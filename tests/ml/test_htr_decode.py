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
    from models_ml.htr.train_commands import build_lm

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


def _reference_nbest(log_probs, beam, lm, chars, alpha, beta, prune=-10.0):  # noqa: ANN001, ANN202
    """The prefix beam search written plainly (the LM asked at every extension, every candidate sorted):
    what the optimised search (its LM memo, heapq) must give exactly."""
    import math
    from collections import defaultdict

    neg = float("-inf")

    def lse(a: float, b: float) -> float:
        if a < b:
            a, b = b, a
        return a if b <= neg else a + math.log1p(math.exp(b - a))

    beams = {(): [0.0, neg, 0.0]}
    for t in range(log_probs.shape[0]):
        lp = log_probs[t]
        cands = [int(c) for c in np.nonzero(lp > prune)[0]] or [int(lp.argmax())]
        nxt = defaultdict(lambda: [neg, neg, 0.0])
        for prefix, (pb, pnb, lms) in beams.items():
            for c in cands:
                p = float(lp[c])
                if c == 0:
                    e = nxt[prefix]
                    e[0] = lse(e[0], lse(pb, pnb) + p)
                    e[2] = lms
                    continue
                e = nxt[prefix + (c,)]
                if lm is not None and e[0] <= neg and e[1] <= neg:
                    ctx = "".join(chars[i - 1] for i in prefix[-(lm.order - 1):])
                    e[2] = lms + alpha * lm.logprob(chars[c - 1], ctx) + beta
                if prefix and c == prefix[-1]:
                    e[1] = lse(e[1], pb + p)
                    same = nxt[prefix]
                    same[1] = lse(same[1], pnb + p)
                    same[2] = lms
                else:
                    e[1] = lse(e[1], lse(pb, pnb) + p)
        beams = dict(sorted(nxt.items(), key=lambda kv: lse(kv[1][0], kv[1][1]) + kv[1][2], reverse=True)[:beam])
    return sorted(((list(p), lse(v[0], v[1]) + v[2]) for p, v in beams.items()), key=lambda h: h[1], reverse=True)


def test_the_optimised_beam_search_gives_exactly_the_plain_searchs_beams() -> None:
    chars = "abcde "
    lm = CharLM.build(["abc de", "bad cab", "ace bed"] * 5, chars, order=3)
    rng = np.random.default_rng(7)
    for _trial in range(6):
        logits = rng.normal(0, 2.0, size=(30, len(chars) + 1))
        log_probs = (logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))).astype(np.float32)
        for use_lm in (lm, None):
            want = _reference_nbest(log_probs, 8, use_lm, chars, 0.6, 1.5)
            assert prefix_beam_nbest(log_probs, beam=8, lm=use_lm, chars=chars, alpha=0.6, beta=1.5) == want
            # a second search finds the LM memo warm and must not change a thing
            assert prefix_beam_nbest(log_probs, beam=8, lm=use_lm, chars=chars, alpha=0.6, beta=1.5) == want
    assert lm.label_cache(chars)  # the memo was used
    assert lm.label_cache("other") == {}  # one memo per charset


def test_the_lm_memo_is_emptied_when_it_outgrows_its_size(monkeypatch) -> None:  # noqa: ANN001
    import models_ml.htr.lm as lm_module

    lm = CharLM.build(["ab ba"] * 3, "ab ", order=2)
    table = lm.label_cache("ab ")
    table.update({((i,), 1): 0.0 for i in range(5)})
    monkeypatch.setattr(lm_module, "LABEL_CACHE_SIZE", 3)
    assert lm.label_cache("ab ") == {}


@pytest.mark.parametrize("decoding, expected", [
    ({"default": "beam+lm"}, ("beam", True)), ({"default": "beam"}, ("beam", False)),
    ({"default": "greedy"}, ("greedy", False)), ({}, ("greedy", False)), ({"default": "bogus"}, ("greedy", False)),
])
def test_the_cards_default_decoder(decoding: dict, expected: tuple[str, bool]) -> None:
    from models_ml.htr.decode import card_decoding

    assert card_decoding({"decoding": decoding}) == expected
    assert card_decoding({}) == ("greedy", False)
