"""Averaging a run's last checkpoints (SWA-style) before export: the mean of the weights, refusals."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from models_ml.htr.train import average_checkpoints
from tests.ml.test_cli_htr import assert_clean_error, run_cli


def _ckpt(path: Path, step: int, weight: float, extra_key: bool = False) -> Path:
    model = {"w": torch.full((2, 2), weight), "count": torch.tensor(step)}
    if extra_key:
        model["other"] = torch.zeros(1)
    torch.save({"model": model, "step": step, "metrics": {"val_cer": 0.5}, "training_state": {"lr": 1e-3}}, path)
    return path


def test_the_mean_of_the_float_weights_and_the_newest_of_the_rest(tmp_path: Path) -> None:
    paths = [_ckpt(tmp_path / "a.pt", 100, 1.0), _ckpt(tmp_path / "b.pt", 300, 4.0), _ckpt(tmp_path / "c.pt", 200, 7.0)]
    out = tmp_path / "avg.pt"
    average_checkpoints(paths, out)
    saved = torch.load(out, weights_only=False)
    assert torch.allclose(saved["model"]["w"], torch.full((2, 2), 4.0))
    assert int(saved["model"]["count"]) == 300 and saved["step"] == 300  # integer buffers are the newest's
    assert [a["step"] for a in saved["averaged_from"]] == [100, 300, 200]
    assert saved["metrics"] == {}  # the validation figure of one checkpoint does not describe the mean


def test_refuses_one_checkpoint_or_two_architectures(tmp_path: Path) -> None:
    a = _ckpt(tmp_path / "a.pt", 1, 1.0)
    with pytest.raises(ValueError, match="at least two"):
        average_checkpoints([a], tmp_path / "x.pt")
    with pytest.raises(ValueError, match="one architecture"):
        average_checkpoints([a, _ckpt(tmp_path / "b.pt", 2, 1.0, extra_key=True)], tmp_path / "x.pt")
    assert not (tmp_path / "x.pt").exists()


def test_export_average_says_what_is_wrong(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    _ckpt(run / "best.pt", 1, 1.0)
    (run / "card.base.json").write_text("{}")
    assert_clean_error(run_cli("export", str(run), "--to", str(tmp_path / "m"), "--average", str(run / "best.pt")),
                       "two or more checkpoint files")
    assert_clean_error(run_cli("export", str(run), "--to", str(tmp_path / "m"), "--average", str(run / "best.pt"),
                               str(tmp_path / "nope.pt")), "missing:")
    assert not (tmp_path / "m").exists()
