"""Choosing beam search's LM weight and bonus: cross-fitting by hand, and the CLI that writes the card."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from models_ml.htr.tune import Scored, cross_fit, folds_of, score_grid
from models_ml.registry import default_model_dir
from tests.ml.test_cli_htr import assert_clean_error, run_cli

FIX = Path(__file__).parent / "fixtures" / "groundtruth"


def test_folds_deal_hands_round_robin_and_refuse_impossible_counts() -> None:
    assert folds_of(["c", "a", "d", "b"], 2) == [["a", "c"], ["b", "d"]]
    with pytest.raises(ValueError):
        folds_of(["a"], 2)
    with pytest.raises(ValueError):
        folds_of(["a", "b"], 1)


def test_score_grid_decodes_each_line_once_per_setting() -> None:
    calls = []

    def decode(lp, alpha, beta):  # noqa: ANN001, ANN202 - a stand-in decoder: its output depends on the setting
        calls.append((alpha, beta))
        return "abc" if alpha > 0.5 else "abx"

    groups = {"h1": [(np.zeros(1), "abc")], "h2": [(np.zeros(1), "abc"), (np.zeros(1), "ab")]}
    table = score_grid(groups, decode, [(0.1, 0.0), (0.9, 0.0)])
    assert len(calls) == 6
    assert table[(0.9, 0.0)] == {"h1": Scored(0, 3), "h2": Scored(1, 5)}
    assert table[(0.1, 0.0)] == {"h1": Scored(1, 3), "h2": Scored(2, 5)}


def test_each_fold_is_scored_with_the_setting_chosen_on_the_others() -> None:
    # Hand "a" prefers setting X, hands "b" and "c" prefer Y: fold {a, c} is chosen on {b} (Y), fold {b} on {a, c}.
    x, y = (0.3, 0.0), (0.9, 1.0)
    table = {x: {"a": Scored(0, 10), "b": Scored(5, 10), "c": Scored(4, 10)},
             y: {"a": Scored(6, 10), "b": Scored(1, 10), "c": Scored(3, 10)}}
    report = cross_fit(table, n_folds=2)
    assert [f["fold"] for f in report["folds"]] == [["a", "c"], ["b"]]
    assert (report["folds"][0]["alpha"], report["folds"][0]["beta"]) == y      # best on b alone
    assert (report["folds"][1]["alpha"], report["folds"][1]["beta"]) == x      # best on a + c: 4 vs 9 errors
    assert report["cross_fitted_cer"] == pytest.approx((6 + 3 + 5) / 30, abs=1e-5)      # worse than either in-sample best
    assert report["best"] == {"alpha": 0.3, "beta": 0.0, "cer": pytest.approx(9 / 30, abs=1e-5)}
    assert len(report["grid"]) == 2


def test_tune_lm_writes_the_best_weights_into_the_card(tmp_path: Path) -> None:
    model = tmp_path / "model"
    shutil.copytree(default_model_dir(), model)
    hands = tmp_path / "gt"
    hands.mkdir()
    shutil.copy(FIX / "will_0001-0.png", hands)
    for will in ("XX_0001", "XX_0002"):  # two hands (wills), so there are two folds
        shutil.copy(FIX / "will_0001-0.xml", hands / f"TestamentsDePoilus_will_{will}-0.xml")
    proc = run_cli("tune-lm", "--ground-truth", str(hands), "--model", str(model), "--alphas", "0.2", "1.0",
                   "--betas", "0", "2")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["hands"] == 2 and len(report["grid"]) == 4 and "card_written" not in report
    assert json.loads((model / "card.json").read_text()) == json.loads((default_model_dir() / "card.json").read_text())

    proc = run_cli("tune-lm", "--ground-truth", str(hands), "--model", str(model), "--alphas", "0.2", "1.0",
                   "--betas", "0", "2", "--write-card")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    decoding = json.loads((model / "card.json").read_text())["decoding"]
    assert (decoding["lm_alpha"], decoding["lm_beta"]) == (report["best"]["alpha"], report["best"]["beta"])
    assert decoding["lm_tuning"]["cross_fitted_cer"] == report["cross_fitted_cer"]
    from models_ml.htr.api import Recognizer

    rec = Recognizer(model)  # the card still verifies, and beam search now uses the chosen weights
    assert (rec.alpha, rec.beta) == (report["best"]["alpha"], report["best"]["beta"])


def test_tune_lm_refuses_a_model_without_lm_and_a_single_hand(tmp_path: Path) -> None:
    model = tmp_path / "model"
    shutil.copytree(default_model_dir(), model)
    one_hand = FIX / "will_0001-0.xml"
    assert_clean_error(run_cli("tune-lm", "--ground-truth", str(one_hand), "--model", str(model)),
                       "cross-fitting needs at least 2")
    (model / "lm.json").unlink()
    assert_clean_error(run_cli("tune-lm", "--ground-truth", str(one_hand), "--model", str(model)), "no character LM")
