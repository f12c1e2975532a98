"""A tiny segmenter trained for a few steps on real ALTO pages shipped in the repository.

Testaments de Poilus, Archives nationales / HTR-United, CC-BY 4.0 (data/real/testaments-de-poilus).
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from models_ml.segment.data import load_page, sample_batch
from models_ml.segment.layout import read_alto
from models_ml.segment.model import SegConfig, SegNet

REPO = Path(__file__).resolve().parents[2]
PAGES = REPO / "data" / "real" / "testaments-de-poilus" / "pages"
TRAIN_PAGES = [PAGES / "TestamentsDePoilus_will_AD78_0003-1.xml", PAGES / "TestamentsDePoilus_will_AD78_0009-1.xml"]


def test_alto_regions_lines_and_types_are_read() -> None:
    layout = read_alto(TRAIN_PAGES[1])
    assert layout.width > 0 and layout.height > 0 and layout.lines
    assert {r.type for r in layout.regions} <= {"main", "margin", "heading", "other"}
    for ln in layout.lines:
        assert ln.baseline[0][0] <= ln.baseline[-1][0] and len(ln.polygon) >= 3 and ln.text


def test_label_maps_line_up_with_the_page() -> None:
    cfg = SegConfig(channels=(4, 8))
    page = load_page(TRAIN_PAGES[0], cfg)
    _, h, w = page.ink.shape
    assert page.labels.shape[1:] == (h // 2, w // 2)
    assert page.labels[0].sum() > 0 and page.labels[1].sum() > 0  # baselines and main text drawn
    x, y = sample_batch([page], 3, 64, np.random.default_rng(0))
    assert x.shape == (3, 1, 64, 64) and y.shape == (3, 5, 32, 32)
    assert 0.0 <= float(x.min()) and float(x.max()) <= 1.0


def test_network_output_is_half_the_input() -> None:
    net = SegNet(SegConfig(channels=(4, 8, 8)))
    out = net(torch.rand(1, 1, 64, 96))
    assert out.shape == (1, 5, 32, 48)


def test_train_segmenter_writes_a_loadable_model_and_never_trains_on_validation_wills(tmp_path: Path) -> None:
    gt = tmp_path / "gt"
    gt.mkdir()
    for xml in TRAIN_PAGES:
        shutil.copy(xml, gt / xml.name)
        shutil.copy(xml.with_suffix(".jpg"), gt / xml.with_suffix(".jpg").name)
    # the same page under a validation will's name: it must be used for validation only
    val_name = "TestamentsDePoilus_will_AN_0021-9"
    text = TRAIN_PAGES[0].read_text(encoding="utf-8").replace(TRAIN_PAGES[0].stem, val_name)
    (gt / f"{val_name}.xml").write_text(text, encoding="utf-8")
    shutil.copy(TRAIN_PAGES[0].with_suffix(".jpg"), gt / f"{val_name}.jpg")
    out = subprocess.run([sys.executable, "-m", "models_ml", "train-segmenter", "--ground-truth", str(gt),
                          "--out", str(tmp_path / "run"), "--channels", "4", "8", "8", "--crop", "64",
                          "--batch-size", "2", "--max-steps", "4", "--eval-every", "2"],
                         cwd=REPO, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    head = json.loads(out.stdout.splitlines()[0])
    assert head["train_pages"] == 2 and head["val_pages"] == 1
    card = json.loads((tmp_path / "run" / "model" / "card.json").read_text())
    assert card["task"] == "segment" and card["training"]["steps"] == 4
    assert card["validation_data"]["wills"] == ["AN_0021"] and "AN_0021" in card["training_data"][
        "excluded_validation_wills"]
    assert "CC-BY 4.0" in card["training_data"]["source"]
    from safetensors.torch import load_file

    weights = load_file(str(tmp_path / "run" / "model" / "model.safetensors"))
    assert all(v.dtype == torch.float16 for v in weights.values() if v.is_floating_point())
    # it loads through the registry and segments a page (whatever a 4-step model finds)
    seg = subprocess.run([sys.executable, "-m", "models_ml", "segment", "--model", str(tmp_path / "run" / "model"),
                          str(TRAIN_PAGES[1].with_suffix(".jpg"))], cwd=REPO, capture_output=True, text=True,
                         timeout=300)
    assert seg.returncode == 0, seg.stderr
    assert set(json.loads(seg.stdout)) >= {"regions", "lines", "width", "height", "segmenter"}


def test_training_refuses_ground_truth_that_is_all_validation(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    from models_ml.cli import main

    name = "TestamentsDePoilus_will_AN_0021-9"
    (tmp_path / f"{name}.xml").write_text(TRAIN_PAGES[0].read_text(encoding="utf-8"), encoding="utf-8")
    shutil.copy(TRAIN_PAGES[0].with_suffix(".jpg"), tmp_path / f"{name}.jpg")
    code = main(["train-segmenter", "--ground-truth", str(tmp_path), "--out", str(tmp_path / "run"),
                 "--max-steps", "1"])
    assert code == 2 and "validation wills" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()  # nothing half-written


@pytest.mark.parametrize("bad", ["<alto><nope/></alto>", "not xml at all"])
def test_broken_alto_is_a_clear_error(tmp_path: Path, bad: str, capsys) -> None:  # noqa: ANN001
    from models_ml.cli import main

    (tmp_path / "TestamentsDePoilus_will_AD78_0003-7.xml").write_text(bad, encoding="utf-8")
    code = main(["train-segmenter", "--ground-truth", str(tmp_path), "--out", str(tmp_path / "run"),
                 "--max-steps", "1"])
    assert code == 2 and "cannot load ground truth" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def _tiny_run(tmp_path: Path, name: str, *extra: str) -> tuple[int, Path]:
    from models_ml.cli import main

    gt = tmp_path / "gt"
    if not gt.exists():
        gt.mkdir()
        for xml in TRAIN_PAGES:
            shutil.copy(xml, gt / xml.name)
            shutil.copy(xml.with_suffix(".jpg"), gt / xml.with_suffix(".jpg").name)
    run = tmp_path / name
    code = main(["train-segmenter", "--ground-truth", str(gt), "--out", str(run), "--crop", "64",
                 "--batch-size", "2", "--max-steps", "2", "--no-record-argv", *extra])
    return code, run


def test_fine_tuning_starts_from_a_segmenter_and_names_it_parent(tmp_path: Path) -> None:
    code, first = _tiny_run(tmp_path, "first", "--channels", "4", "8", "8")
    assert code == 0
    parent = json.loads((first / "model" / "card.json").read_text())
    parent["vectorise"]["ascent"] = 0.7  # line-band settings tuned for the parent travel with it
    (first / "model" / "card.json").write_text(json.dumps(parent))
    code, second = _tiny_run(tmp_path, "second", "--init", str(first / "model"), "--channels", "16", "32",
                             "--keep", "last")
    assert code == 0
    card = json.loads((second / "model" / "card.json").read_text())
    assert card["architecture"]["channels"] == parent["architecture"]["channels"] == [4, 8, 8]
    assert card["parent"] == {"name": parent["name"], "version": parent["version"], "sha256": parent["sha256"]}
    assert card["vectorise"] == parent["vectorise"] and card["vectorise"]["ascent"] == 0.7
    assert card["sha256"] != parent["sha256"]  # it trained
    assert card["training"]["checkpoint"] == "last" and parent["training"]["checkpoint"] == "best"
    from safetensors.torch import load_file

    last = torch.load(second / "last.pt", map_location="cpu")
    shipped = load_file(str(second / "model" / "model.safetensors"))
    assert all(torch.equal(shipped[k], v.half() if v.is_floating_point() else v) for k, v in last.items())


def test_fine_tuning_from_a_folder_that_is_no_segmenter_is_refused(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    code, run = _tiny_run(tmp_path, "run", "--init", str(REPO / "models_ml" / "store" / "htr-default"))
    assert code == 2 and "--init" in capsys.readouterr().err
    assert not run.exists()
