"""bench/htr_decode_sweep.py's pure parts: the posterior ensemble and the joint cross-fit of (source, alpha, beta)."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import htr_decode_sweep as sweep  # noqa: E402


def test_ensemble_is_the_log_of_the_mean_probability() -> None:
    a = np.log(np.array([[0.9, 0.1], [0.5, 0.5]]))
    b = np.log(np.array([[0.1, 0.9], [0.7, 0.3]]))
    out = sweep._ensemble([{"g": [a]}, {"g": [b]}])
    assert np.allclose(np.exp(out["g"][0]), [[0.5, 0.5], [0.6, 0.4]])


def _row(source: str, alpha: float, errors: dict[str, int]) -> dict:
    return {"source": source, "beam": 10, "lm": "lm.json",
            "table": [{"alpha": alpha, "beta": 1.0, "wills": {w: [e, 100] for w, e in errors.items()}}]}


def test_joint_cross_fit_reads_each_fold_with_the_choice_of_the_other() -> None:
    # wills a, c fall in fold 0 and b, d in fold 1 (tune.folds_of: sorted, dealt round-robin)
    rows = [_row("x", 0.5, {"a": 10, "b": 30, "c": 10, "d": 30}),  # best on fold 0
            _row("y", 0.5, {"a": 30, "b": 10, "c": 30, "d": 10})]  # best on fold 1
    report = sweep.joint_cross_fit(rows)
    # fold 0 is read with fold 1's choice (y: 30 + 30), fold 1 with fold 0's (x: 30 + 30)
    assert report["cross_fitted_cer"] == 0.3
    assert [f["choice"][0] for f in report["folds"]] == ["y", "x"]
    assert report["best"]["cer"] == 0.2 and report["candidates"] == 2
    same = sweep.joint_cross_fit([_row("x", 0.5, {"a": 10, "b": 10, "c": 10, "d": 10}), rows[1]])
    assert same["cross_fitted_cer"] == 0.1 and {f["choice"][0] for f in same["folds"]} == {"x"}
