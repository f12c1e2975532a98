"""Model directories: save/load round trip, sha256 refusal, clear errors, listing."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from PIL import Image

from models_ml import registry
from models_ml.htr.api import Recognizer, load_model, load_recognizer


def test_round_trip_keeps_weights_and_card(tmp_path: Path, tiny) -> None:  # noqa: ANN001
    model, charset = tiny.model(seed=3)
    card = tiny.save(model, charset, tmp_path / "m", name="round-trip")
    loaded, cs, card2 = load_model(tmp_path / "m")
    assert cs.chars == charset.chars
    assert card2["sha256"] == card["sha256"] == registry.sha256_file(tmp_path / "m" / registry.WEIGHTS)
    for k, v in model.state_dict().items():
        if v.is_floating_point():
            assert torch.allclose(loaded.state_dict()[k], v.half().float())
    x, w = torch.rand(2, 1, 32, 64), torch.tensor([64, 40])
    model.eval()
    with torch.no_grad():
        a, _ = model(x, w)
        b, _ = loaded(x, w)
    assert torch.allclose(a, b, atol=0.05)


def test_sha256_mismatch_is_refused(tiny_model_dir: Path) -> None:
    weights = tiny_model_dir / registry.WEIGHTS
    data = bytearray(weights.read_bytes())
    data[-10] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(registry.ModelError, match="sha256 mismatch"):
        load_model(tiny_model_dir)


def test_missing_files_give_clear_errors(tmp_path: Path, tiny_model_dir: Path) -> None:
    with pytest.raises(registry.ModelError, match="not found"):
        registry.verify(tmp_path / "nowhere")
    broken = tmp_path / "no-weights"
    shutil.copytree(tiny_model_dir, broken)
    (broken / registry.WEIGHTS).unlink()
    with pytest.raises(registry.ModelError, match="no model.safetensors"):
        registry.verify(broken)
    (broken / registry.CARD).unlink()
    with pytest.raises(registry.ModelError, match="no card.json"):
        registry.verify(broken)


def test_list_models_reads_cards(tmp_path: Path, tiny) -> None:  # noqa: ANN001
    for name in ("a-model", "b-model"):
        m, cs = tiny.model()
        tiny.save(m, cs, tmp_path / name, name=name)
    (tmp_path / "not-a-model").mkdir()
    cards = registry.list_models(tmp_path)
    assert [c["name"] for c in cards] == ["a-model", "b-model"]
    assert all(c["task"] == "htr" and len(c["sha256"]) == 64 for c in cards)


def test_recognizer_returns_readings_in_input_order(tiny_model_dir: Path) -> None:
    rec = Recognizer(tiny_model_dir, "cpu")
    images = [Image.new("L", (w, 40), 255) for w in (300, 60, 150)]
    out = rec.recognize(images, batch_size=2)
    assert [r.frames for r in out] == [w * 32 // 40 // 4 for w in (300, 60, 150)]
    for r in out:
        assert 0.0 <= r.confidence <= 1.0
        assert len(r.char_confidences) == len(r.char_frames) == len(r.char_columns) == len(r.text)


def test_load_recognizer_is_cached_per_path_and_device(tiny_model_dir: Path) -> None:
    a = load_recognizer(tiny_model_dir, "cpu")
    b = load_recognizer(str(tiny_model_dir) + "/", "cpu")
    assert a is b and a.device == "cpu" and a.card["name"] == "tiny"


def test_shipped_default_model_card_is_complete() -> None:
    d = registry.default_model_dir()
    card = registry.verify(d)
    for key in ("name", "version", "task", "architecture", "charset", "preprocessing", "training_data",
                "metrics", "sha256", "licence", "code_version", "training"):
        assert key in card, key
    assert (d / registry.WEIGHTS).stat().st_size <= 20 * 1024 * 1024
    assert set(json.loads((d / registry.CARD).read_text())["training_data"]["fonts_heldout"])


def test_the_shipped_recognizer_reads_french_and_english_in_nfc() -> None:
    import unicodedata

    card = registry.read_card(registry.default_model_dir())
    chars = card["charset"]
    assert unicodedata.is_normalized("NFC", chars) and len(set(chars)) == len(chars)
    assert set("àâçéèêëîïôùûüœÀÉ’«»°^&0123456789") <= set(chars)
    assert card["architecture"]["config"]["num_classes"] == len(chars) + 1
    assert card["training_data"]["real"]["validation_wills_never_trained_on"]
