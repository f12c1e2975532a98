"""Function-preserving BiLSTM widening (models_ml.htr.widen): same reading, room to learn, lineage, refusals."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from models_ml.htr.api import load_model
from models_ml.htr.widen import widen_lstm_state, widen_model
from models_ml.registry import verify
from tests.ml.test_cli_htr import assert_clean_error, run_cli


def _trained_looking(tiny, tmp_path: Path) -> Path:  # noqa: ANN001
    """A tiny model whose LSTM biases are not zero (a trained network's are not), saved with an LM."""
    model, charset = tiny.model(3)
    with torch.no_grad():
        for name, p in model.lstm.named_parameters():
            if name.startswith("bias"):
                p.uniform_(-0.5, 0.5)
        model.head.bias.uniform_(-1, 1)
    tiny.save(model, charset, tmp_path / "base", name="tiny-base")
    (tmp_path / "base" / "lm.json").write_text('{"order": 1}')
    return tmp_path / "base"


def test_widened_model_reads_exactly_as_its_parent(tiny, tmp_path: Path) -> None:  # noqa: ANN001
    base = _trained_looking(tiny, tmp_path)
    old_hidden = verify(base)["architecture"]["config"]["lstm_hidden"]
    card = widen_model(base, old_hidden + 24, tmp_path / "wide", seed=5)
    parent, _, _ = load_model(base)
    wide, _, wide_card = load_model(tmp_path / "wide")
    assert wide.cfg.lstm_hidden == old_hidden + 24 == wide_card["architecture"]["config"]["lstm_hidden"]
    assert sum(p.numel() for p in wide.parameters()) > sum(p.numel() for p in parent.parameters())
    torch.manual_seed(0)
    x, widths = torch.rand(3, 1, parent.cfg.height, 120), torch.tensor([120, 90, 40])
    with torch.inference_mode():
        (lp_parent, n_parent), (lp_wide, n_wide) = parent(x, widths), wide(x, widths)
    assert torch.equal(n_parent, n_wide)
    assert torch.allclose(lp_parent, lp_wide, atol=1e-5), (lp_parent - lp_wide).abs().max()
    assert card["parent"]["sha256"] == verify(base)["sha256"] and card["widened"]["to_hidden"] == old_hidden + 24
    assert (tmp_path / "wide" / "lm.json").read_text() == '{"order": 1}'


def test_new_units_learn_on_the_first_step(tiny, tmp_path: Path) -> None:  # noqa: ANN001
    """Zero outgoing weights must still get a gradient, or the new units would stay dead."""
    base = _trained_looking(tiny, tmp_path)
    old = verify(base)["architecture"]["config"]["lstm_hidden"]
    widen_model(base, old + 8, tmp_path / "wide")
    model, _, _ = load_model(tmp_path / "wide")
    model.train()
    lp, lengths = model(torch.rand(2, 1, model.cfg.height, 80), torch.tensor([80, 80]))
    loss = torch.nn.functional.ctc_loss(lp, torch.tensor([[1, 2, 3], [2, 3, 4]]), lengths, torch.tensor([3, 3]))
    loss.backward()
    head_grad_new = model.head.weight.grad[:, old: old + 8]
    assert head_grad_new.abs().sum() > 0


def test_widen_lstm_state_keeps_old_weights_in_place() -> None:
    layer = torch.nn.LSTM(3, 2, num_layers=2, bidirectional=True)
    state = {f"lstm.{k}": v for k, v in layer.state_dict().items()}
    state["head.weight"] = torch.randn(5, 4)
    out = widen_lstm_state(state, 2, 2, 4, torch.Generator().manual_seed(0))
    old_ih1 = state["lstm.weight_ih_l1"]  # (8, 4): columns fwd 0-1, bwd 2-3
    new_ih1 = out["lstm.weight_ih_l1"]  # (16, 8): columns fwd 0-3, bwd 4-7
    assert new_ih1.shape == (16, 8) and out["lstm.weight_hh_l0"].shape == (16, 4)
    for gate in range(4):
        assert torch.equal(new_ih1[gate * 4: gate * 4 + 2][:, [0, 1, 4, 5]], old_ih1[gate * 2: gate * 2 + 2])
        assert not new_ih1[gate * 4: gate * 4 + 2][:, [2, 3, 6, 7]].any()  # from new units: zero
    assert torch.equal(out["head.weight"][:, [0, 1, 4, 5]], state["head.weight"])
    assert not out["head.weight"][:, [2, 3, 6, 7]].any()
    with pytest.raises(ValueError, match="at least 2"):
        widen_lstm_state(state, 2, 2, 1, torch.Generator())


def test_cli_widen_and_its_refusals(tiny, tmp_path: Path) -> None:  # noqa: ANN001
    base = _trained_looking(tiny, tmp_path)
    old = verify(base)["architecture"]["config"]["lstm_hidden"]
    proc = run_cli("widen", str(base), "--hidden", str(old * 2), "--to", str(tmp_path / "w"))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["sha256"] == verify(tmp_path / "w")["sha256"]
    assert json.loads((tmp_path / "w" / "card.json").read_text())["command"].startswith("python -m models_ml widen")
    assert_clean_error(run_cli("widen", str(base), "--hidden", str(old), "--to", str(tmp_path / "x")),
                       f"already has {old}")
    assert_clean_error(run_cli("widen", str(tmp_path / "nope"), "--hidden", "9", "--to", str(tmp_path / "x")),
                       "model not found")
    assert not (tmp_path / "x").exists()
