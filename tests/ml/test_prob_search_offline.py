"""The offline studies of bench/prob_search_eval.py (bench/prob_search_offline.py): pure functions."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import prob_search_offline as offline  # noqa: E402


def test_levenshtein_and_near() -> None:
    assert offline.levenshtein("testament", "testamert") == 1
    assert offline.levenshtein("maison", "maisons") == 1
    assert offline.levenshtein("abc", "xyz", cap=1) == 2  # gives up past the cap
    assert offline.near("testament", {"de", "testamert"}, 1)
    assert not offline.near("testament", {"testamxrx"}, 1)


def test_compact_keeps_top_k_per_frame() -> None:
    probs = np.array([[0.6, 0.3, 0.1], [0.2, 0.1, 0.7]])
    out = offline.compact(probs, 2)
    assert out[0, 2] == 0 and out[1, 1] == 0
    assert abs(out[0, 0] - 0.6) < 1e-3 and abs(out[1, 2] - 0.7) < 1e-3


def test_rescored_scores_only_filtered_lines() -> None:
    asked: list[tuple[int, tuple[str, ...]]] = []

    def score(i: int, words: list[str]) -> dict[str, float]:
        asked.append((i, tuple(words)))
        return dict.fromkeys(words, 0.01)

    scores, share = offline.rescored(["testament", "de"], [{"de": 0.9}, {}], [{"testamert"}, {"maison"}], score, "lev1")
    assert scores[0] == {"de": 0.9, "testament": 0.01} and scores[1] == {}
    assert asked == [(0, ("testament",)), (1, ())]  # short words are never rescored
    assert share == 0.5


def test_tune_overall_keeps_overall_precision() -> None:
    # two lines; "maison" is in line 0 (1-best misread it), "jardins" is not in line 1
    truths, onebest = [{"maison", "de"}, {"de"}], [{"de"}, {"de"}]
    scores = [{"maison": 0.01}, {"jardins": 0.3}]
    queries = {"maison", "de", "jardins"}
    floors = offline.tune_overall(truths, onebest, scores, [0, 1], queries, target=0.8)
    assert floors[6] == 0.01 and floors[7] == 2.0  # maison's pair comes in, jardins' false one stays out
    m = offline.measure(truths, onebest, scores, [0, 1], queries, floors)
    assert m == {"found": 3, "retrieved": 3, "base": 2}
