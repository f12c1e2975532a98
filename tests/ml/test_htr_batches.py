"""Training batches built by worker processes are the batches the loop would build itself,
and a run told to keep its last checkpoint exports that one, not the best."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from models_ml import registry
from models_ml.htr.batches import EpochBatches, epoch_batches, to_device
from models_ml.htr.data import LineSet
from models_ml.htr.train import TrainConfig, fit
from models_ml.synth.lines import LineSampler


def _line_set(n: int, seed: int) -> LineSet:
    sampler = LineSampler("train", "heldout", seed, min_chars=4, max_chars=12, number_p=0.0, context_p=0.0)
    lines = LineSet(32)
    lines.load_pairs([sampler.sample()[:2] for _ in range(n)])
    return lines


def test_workers_build_the_same_augmented_batches_as_the_loop(tiny) -> None:  # noqa: ANN001
    _, charset = tiny.model()
    lines = _line_set(10, seed=3)
    batches = [[0, 3, 5], [1, 2], [4, 6, 7, 8, 9]]
    dataset = EpochBatches(lines.images, lines.texts, charset, batches, augment=True, seed=7, epoch=2)
    here = list(epoch_batches(dataset, workers=0))
    forked = list(epoch_batches(dataset, workers=2))
    assert len(here) == len(forked) == 3
    for (x1, w1, t1), (x2, w2, t2), idx in zip(here, forked, batches, strict=True):
        assert np.array_equal(x1, x2) and np.array_equal(w1, w2) and t1 == t2
        assert x1.shape[0] == len(idx) and t1 == [charset.encode(lines.texts[i]) for i in idx]
    # augmentation really ran, and another epoch draws other distortions
    plain = EpochBatches(lines.images, lines.texts, charset, batches, augment=False, seed=7, epoch=2)
    assert not np.array_equal(plain[0][0], here[0][0])
    other = EpochBatches(lines.images, lines.texts, charset, batches, augment=True, seed=7, epoch=3)
    assert not np.array_equal(other[0][0], here[0][0])


def test_to_device_concatenates_targets_and_keeps_lengths_per_line(tiny) -> None:  # noqa: ANN001
    _, charset = tiny.model()
    lines = _line_set(4, seed=9)
    dataset = EpochBatches(lines.images, lines.texts, charset, [[0, 1, 2, 3]], augment=False, seed=1, epoch=0)
    x, w, tgt, tlen = to_device(dataset[0], "cpu")
    assert x.shape[:2] == (4, 1) and w.tolist() == [a.shape[1] for a in lines.images]
    assert tlen.tolist() == [len(charset.encode(t)) for t in lines.texts]
    assert tgt.tolist() == [c for t in lines.texts for c in charset.encode(t)]


def test_fit_with_workers_and_keep_last_exports_the_last_checkpoint(tmp_path: Path, tiny) -> None:  # noqa: ANN001
    torch.manual_seed(0)
    model, charset = tiny.model()
    train, val = _line_set(12, seed=21), _line_set(4, seed=22)
    tcfg = TrainConfig(batch_size=4, lr=2e-3, warmup_steps=2, max_steps=9, eval_every=3, checkpoint_every=3,
                       patience=99, workers=2, keep="last", threads=1)
    card = {"name": "t", "version": "1", "task": "htr", "charset": charset.chars,
            "architecture": {"config": model.cfg.to_dict()}}
    result = fit(model, charset, train, val, tcfg, tmp_path / "run", card, export_dir=tmp_path / "out",
                 show_bar=False)
    assert result["steps"] == 9 and result["lines_seen"] == 9 * 4
    last = torch.load(tmp_path / "run" / "last.pt", map_location="cpu", weights_only=False)
    exported = load_file(str(tmp_path / "out" / registry.WEIGHTS))
    assert last["step"] == 9
    for name, tensor in last["model"].items():
        if tensor.is_floating_point():
            assert torch.allclose(exported[name].float(), tensor.half().float()), name
    assert registry.read_card(tmp_path / "out")["training"]["steps"] == 9


def test_fit_refuses_an_unknown_precision_or_keep(tmp_path: Path, tiny) -> None:  # noqa: ANN001
    model, charset = tiny.model()
    with pytest.raises(ValueError, match="amp must be"):
        fit(model, charset, _line_set(2, seed=1), LineSet(32), TrainConfig(amp="fp8", max_steps=1),
            tmp_path / "run", {}, show_bar=False)


def test_train_cli_grows_a_new_models_charset_from_data_folders(tmp_path: Path) -> None:
    from PIL import Image

    from tests.ml.test_cli_htr import run_cli

    folder = tmp_path / "lines"
    folder.mkdir()
    for k, text in enumerate(["le 3 m^e", "Pâques & Noël", "n° 12"]):  # ^ and & are in no synthetic charset
        Image.new("L", (120, 32), 255).save(folder / f"l{k}.png")
        (folder / f"l{k}.gt.txt").write_text(text + "\n", encoding="utf-8")
    proc = run_cli("train", "--out", str(tmp_path / "run"), "--data", str(folder), "--export", str(tmp_path / "model"),
                   "--height", "32", "--channels", "8,16", "--pools", "2x2,2x2", "--hidden", "16", "--max-steps", "3",
                   "--checkpoint-every", "1", "--batch-size", "2", "--lm-order", "0", "--threads", "1",
                   "--keep", "last", "--workers", "1")
    assert proc.returncode == 0, proc.stderr
    card = registry.read_card(tmp_path / "model")
    assert {"^", "&", "â", "ë", "°"} <= set(card["charset"])
    assert card["architecture"]["config"]["num_classes"] == len(card["charset"]) + 1
    assert card["training"]["steps"] == 3 and card["hyperparameters"]["keep"] == "last"
