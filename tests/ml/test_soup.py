"""Weight interpolation of two recognizers (models_ml.htr.soup): the formula, the lineage, the refusals."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from models_ml.htr.api import load_model
from models_ml.htr.soup import interpolate_models, interpolate_states
from models_ml.registry import verify
from tests.ml.test_cli_htr import assert_clean_error, run_cli


def test_interpolate_states_is_the_straight_line() -> None:
    a = {"w": torch.zeros(2, dtype=torch.float16), "n": torch.tensor(1)}
    b = {"w": torch.full((2,), 4.0, dtype=torch.float16), "n": torch.tensor(7)}
    mid = interpolate_states(a, b, 0.25)
    assert torch.equal(mid["w"], torch.full((2,), 1.0, dtype=torch.float16)) and mid["w"].dtype == torch.float16
    assert int(mid["n"]) == 7  # integer buffers: B's
    assert torch.equal(interpolate_states(a, b, 0.0)["w"], a["w"]) and torch.equal(interpolate_states(a, b, 1.0)["w"], b["w"])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        interpolate_states(a, b, 1.5)
    with pytest.raises(ValueError, match="same tensors"):
        interpolate_states(a, {"w": b["w"]}, 0.5)
    with pytest.raises(ValueError, match="shape"):
        interpolate_states(a, {**b, "w": torch.zeros(3)}, 0.5)


def _pair(tiny, tmp_path: Path) -> tuple[Path, Path]:  # noqa: ANN001
    for seed, name in ((0, "a"), (1, "b")):
        model, charset = tiny.model(seed)
        tiny.save(model, charset, tmp_path / name, name=f"tiny-{name}")
    (tmp_path / "b" / "lm.json").write_text('{"order": 1}')
    return tmp_path / "a", tmp_path / "b"


def test_interpolated_model_loads_records_both_parents_and_copies_b_lm(tiny, tmp_path: Path) -> None:  # noqa: ANN001
    a, b = _pair(tiny, tmp_path)
    card = interpolate_models(a, b, 0.3, tmp_path / "soup", name="tiny-soup")
    assert verify(tmp_path / "soup")["sha256"] == card["sha256"]
    wa, wb, ws = (load_file(str(d / "model.safetensors")) for d in (a, b, tmp_path / "soup"))
    for k in ws:
        if ws[k].is_floating_point():
            want = (0.7 * wa[k].float() + 0.3 * wb[k].float()).half()
            assert torch.equal(ws[k], want), k
    assert [(p["name"], p["share"]) for p in card["parents"]] == [("tiny-a", 0.7), ("tiny-b", 0.3)]
    assert card["parents"][0]["sha256"] == verify(a)["sha256"] and card["name"] == "tiny-soup"
    assert card["parent"] is None and "lm_tuning" not in card["decoding"] and card["interpolation"]["t"] == 0.3
    assert (tmp_path / "soup" / "lm.json").read_text() == '{"order": 1}'
    load_model(tmp_path / "soup")  # the card's architecture fits the weights


def test_cli_interpolate_and_its_refusals(tiny, tmp_path: Path) -> None:  # noqa: ANN001
    a, b = _pair(tiny, tmp_path)
    proc = run_cli("interpolate", str(a), str(b), "--weight", "0.5", "--to", str(tmp_path / "mid"))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["sha256"] == verify(tmp_path / "mid")["sha256"] and len(out["parents"]) == 2
    assert json.loads((tmp_path / "mid" / "card.json").read_text())["command"].startswith("python -m models_ml interpolate")
    assert_clean_error(run_cli("interpolate", str(a), str(tmp_path / "nope"), "--weight", "0.5", "--to",
                               str(tmp_path / "x")), "model not found")
    assert_clean_error(run_cli("interpolate", str(a), str(b), "--weight", "2", "--to", str(tmp_path / "x")), "[0, 1]")
    card = json.loads((b / "card.json").read_text())
    card["charset"] = card["charset"][::-1]
    (b / "card.json").write_text(json.dumps(card))
    assert_clean_error(run_cli("interpolate", str(a), str(b), "--weight", "0.5", "--to", str(tmp_path / "x")), "charset")
    assert not (tmp_path / "x").exists()
