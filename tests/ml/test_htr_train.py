"""Training really learns (loss falls on synthetic lines) and fine-tuning writes a usable model."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from models_ml import registry
from models_ml.htr.api import Recognizer
from models_ml.htr.data import LineSet, collate
from models_ml.htr.train import finetune
from models_ml.synth.lines import LineSampler


def _lines(n: int, seed: int) -> list[tuple]:
    sampler = LineSampler("train", "heldout", seed, min_chars=4, max_chars=14, number_p=0.0, context_p=0.0)
    return [sampler.sample()[:2] for _ in range(n)]


def test_loss_falls_over_a_few_dozen_steps(tiny) -> None:  # noqa: ANN001
    torch.manual_seed(0)
    model, charset = tiny.model()
    lines = LineSet(32)
    lines.load_pairs(_lines(8, seed=11))
    x, w = collate([a.astype(np.float32) / 255.0 for a in lines.images])
    targets = [charset.encode(t) for t in lines.texts]
    tgt = torch.tensor([c for t in targets for c in t])
    tlen = torch.tensor([len(t) for t in targets])
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    ctc = torch.nn.CTCLoss(zero_infinity=True)
    losses = []
    for _ in range(40):
        lp, lengths = model(torch.from_numpy(x), torch.from_numpy(w))
        loss = ctc(lp, tgt, lengths, tlen)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert np.mean(losses[-5:]) < 0.6 * np.mean(losses[:3]), losses


def test_finetune_writes_a_child_model_with_card(tmp_path: Path, tiny_model_dir: Path) -> None:
    pairs = _lines(6, seed=5)
    seen = []
    card = finetune(tiny_model_dir, pairs, tmp_path / "child", epochs=2,
                    progress=lambda e, total, m: seen.append((e, total, m)), val_pairs=pairs[:2])
    assert [e for e, _, _ in seen] == [1, 2] and all(t == 2 for _, t, _ in seen)
    parent = registry.read_card(tiny_model_dir)
    assert card["parent"]["sha256"] == parent["sha256"]
    assert card["sha256"] != parent["sha256"]
    assert "validation_before" in card["metrics"] and "finetune" in card["metrics"]
    on_disk = json.loads((tmp_path / "child" / "card.json").read_text())
    assert on_disk["sha256"] == registry.sha256_file(tmp_path / "child" / "model.safetensors")
    assert not (tmp_path / "child" / "_run").exists()
    rec = Recognizer(tmp_path / "child", "cpu")
    assert len(rec.recognize([pairs[0][0]])) == 1


def test_validation_scores_uint8_and_float_lines_alike(tiny) -> None:  # noqa: ANN001
    from models_ml.htr.train import evaluate_arrays

    model, charset = tiny.model(seed=1)
    lines = LineSet(32)
    lines.load_pairs(_lines(4, seed=2))
    as_float = [a.astype(np.float32) / 255.0 for a in lines.images]
    x_u8, _ = collate(lines.images)
    x_f, _ = collate(as_float)
    assert np.allclose(x_u8, x_f)
    assert evaluate_arrays(model, charset, lines.images, lines.texts, "cpu") == \
        evaluate_arrays(model, charset, as_float, lines.texts, "cpu")


def test_finetune_grows_the_charset_with_the_curated_letters(tmp_path: Path, tiny_model_dir: Path) -> None:
    from models_ml.htr.groundtruth import page_lines, read_ground_truth

    fixture = Path(__file__).parent / "fixtures" / "groundtruth" / "will_0001-0.xml"
    pairs = [(crop, line.text) for crop, line in page_lines(read_ground_truth(fixture))]
    parent = registry.read_card(tiny_model_dir)
    assert "œ" not in parent["charset"]
    card = finetune(tiny_model_dir, pairs, tmp_path / "child", epochs=1, val_pairs=pairs[:1])
    assert card["charset"].startswith(parent["charset"])
    assert set(card["charset_added"]) == {"è", "à", "œ", "é"}
    assert card["architecture"]["config"]["num_classes"] == len(card["charset"]) + 1
    rec = Recognizer(tmp_path / "child", "cpu")  # the grown weights fit the card
    assert len(rec.charset) == len(card["charset"]) + 1
