"""Training from ALTO/PAGE ground truth: reading, polygon crops, NFC text, charset growth, refusals."""
from __future__ import annotations

import json
import shutil
import unicodedata
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from models_ml.htr.groundtruth import (
    GroundTruthError,
    GTLine,
    baseline_angle,
    crop_line,
    grown_charset,
    load_training_lines,
    page_lines,
    read_ground_truth,
)
from models_ml.htr.train import grow_charset

FIX = Path(__file__).parent / "fixtures" / "groundtruth"
ALTO = FIX / "will_0001-0.xml"
PAGE = FIX / "will_0001-0.page.xml"
TEXTS = ["Je lègue à ma sœur", "mes livres et l'épée"]


def test_alto_and_page_give_the_same_lines_in_nfc() -> None:
    alto, page = read_ground_truth(ALTO), read_ground_truth(PAGE)
    assert [ln.text for ln in alto.lines] == TEXTS == [ln.text for ln in page.lines]
    assert "e\u0301" in ALTO.read_text(encoding="utf-8")  # the file itself is decomposed
    assert all(unicodedata.is_normalized("NFC", ln.text) for ln in alto.lines + page.lines)
    assert [ln.polygon for ln in alto.lines] == [ln.polygon for ln in page.lines]
    assert [ln.baseline for ln in alto.lines] == [ln.baseline for ln in page.lines]
    assert alto.lines[0].region_type == "MainZone" and alto.lines[0].line_type == "DefaultLine"
    assert page.lines[0].region_type == "paragraph"
    assert alto.image_path.name == "will_0001-0.png" == page.image_path.name


def test_polygon_crop_is_the_bounding_box_with_outside_painted_as_paper() -> None:
    rng = np.random.default_rng(0)
    grey = Image.fromarray(rng.integers(0, 120, (100, 200), dtype=np.uint8))
    triangle = GTLine("t", "x", [(20.0, 20.0), (120.0, 20.0), (20.0, 80.0)])
    crop = crop_line(grey, triangle, paper=250, pad=0)
    assert crop.size == (100, 60)
    arr, src = np.asarray(crop), np.asarray(grey)
    assert arr[55, 90] == 250  # below the hypotenuse: outside, painted
    assert arr[5, 5] == src[25, 25]  # inside: the page's own pixel
    assert (arr < 120).mean() > 0.4


def test_a_sloping_baseline_is_turned_level() -> None:
    line = GTLine("s", "x", [(10.0, 40.0), (190.0, 8.0), (190.0, 40.0), (10.0, 72.0)],
                  baseline=[(10.0, 64.0), (190.0, 32.0)])
    assert baseline_angle(line.baseline) == pytest.approx(-10.08, abs=0.05)
    grey = Image.new("L", (200, 100), 200)
    flat = crop_line(grey, line, paper=200, straighten=False)
    level = crop_line(grey, line, paper=200, straighten=True)
    assert flat.size != level.size
    assert level.height < flat.height  # the band is thin once level


def test_crops_of_the_fixture_page_hold_its_ink() -> None:
    crops = page_lines(read_ground_truth(ALTO))
    assert [ln.text for _, ln in crops] == TEXTS
    for crop, _ in crops:
        arr = np.asarray(crop)
        assert arr.min() < 80 and np.median(arr) > 200  # dark strokes on light paper


def test_a_missing_image_is_refused_by_name(tmp_path: Path) -> None:
    shutil.copy(ALTO, tmp_path / "will_0001-0.xml")
    with pytest.raises(GroundTruthError, match="image not found"):
        read_ground_truth(tmp_path / "will_0001-0.xml")


def test_a_polygon_outside_the_image_is_refused(tmp_path: Path) -> None:
    shutil.copy(FIX / "will_0001-0.png", tmp_path)
    text = PAGE.read_text(encoding="utf-8").replace('<Coords points="16,24', '<Coords points="16,924', 1)
    (tmp_path / "bad.page.xml").write_text(text, encoding="utf-8")
    with pytest.raises(GroundTruthError, match="outside the 420×160 image"):
        load_training_lines([tmp_path / "bad.page.xml"])


def test_not_xml_and_not_alto_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.xml").write_text("<alto><unclosed>", encoding="utf-8")
    with pytest.raises(GroundTruthError, match="not well-formed"):
        read_ground_truth(tmp_path / "a.xml")
    (tmp_path / "b.xml").write_text("<html/>", encoding="utf-8")
    with pytest.raises(GroundTruthError, match="not an ALTO file"):
        read_ground_truth(tmp_path / "b.xml")


def test_validation_wills_are_left_out_and_counted(tmp_path: Path) -> None:
    shutil.copy(FIX / "will_0001-0.png", tmp_path)
    shutil.copy(ALTO, tmp_path / "TestamentsDePoilus_will_AN_0021-0.xml")  # a validation will's name
    shutil.copy(ALTO, tmp_path / "TestamentsDePoilus_will_AN_0022-0.xml")  # a training will's name
    got = load_training_lines([tmp_path])
    assert got.summary() == {"ground_truth_files": 1, "ground_truth_lines": 2, "skipped_validation_files": 1,
                             "untranscribed_lines_skipped": 0}
    assert load_training_lines([tmp_path], exclude_validation=False).files == 2


def test_charset_grows_from_the_data_and_the_grown_model_reads_as_before(tiny) -> None:  # noqa: ANN001
    chars = grown_charset("abc ", ["cab œuvre", "été"])
    assert chars == "abc " + "".join(sorted(set("œuvreét") - set("abc ")))
    model, charset = tiny.model()
    model.eval()
    x = torch.rand(2, 1, 32, 64)
    w = torch.tensor([64, 40])
    before, _ = model(x, w)
    grown = grow_charset(model, charset, grown_charset(charset.chars, TEXTS))
    after, _ = model(x, w)
    assert len(grown) == len(charset) + len(set("èàœé"))
    assert after.shape[-1] == len(grown) == model.cfg.num_classes
    # the old classes keep their relative scores; the new ones start unlikely
    old = after[..., : before.shape[-1]]
    assert torch.allclose(old.softmax(-1), before.softmax(-1), atol=2e-2)
    assert after[..., before.shape[-1]:].exp().max() < 0.05
    with pytest.raises(ValueError):
        grow_charset(model, grown, "xyz")


def test_train_from_ground_truth_on_the_cli(tmp_path: Path) -> None:
    from models_ml.realdata import CREDIT
    from tests.ml.test_cli_htr import run_cli

    wills = tmp_path / "gt"  # named as the Testaments de Poilus name their files: the card must credit them
    wills.mkdir()
    shutil.copy(FIX / "will_0001-0.png", wills)
    shutil.copy(ALTO, wills / "TestamentsDePoilus_will_XX_0001-0.xml")
    proc = run_cli("train", "--out", str(tmp_path / "run"), "--ground-truth", str(wills),
                   "--val-ground-truth", str(PAGE), "--export", str(tmp_path / "model"), "--height", "32",
                   "--channels", "8,16", "--pools", "2x2,2x2", "--hidden", "16", "--max-steps", "4",
                   "--eval-every", "2", "--checkpoint-every", "2", "--batch-size", "2", "--lm-order", "0",
                   "--threads", "1", "--name", "gt-smoke")
    assert proc.returncode == 0, proc.stderr
    card = json.loads((tmp_path / "model" / "card.json").read_text())
    assert {"œ", "è", "é", "à"} <= set(card["charset"])
    assert card["architecture"]["config"]["num_classes"] == len(card["charset"]) + 1
    real = card["training_data"]["real"]
    assert real["ground_truth_lines"] == 2 and real["ground_truth_files"] == 1
    assert "validation_heldout" in card["metrics"]
    assert real["credit"] == CREDIT and CREDIT in card["licence"]
    assert "--val-ground-truth" in card["training_data"]["validation"]
    assert card["command"].startswith("python -m models_ml train --out ")  # the command as one would retype it


def test_train_refuses_ground_truth_without_its_image(tmp_path: Path) -> None:
    from tests.ml.test_cli_htr import assert_clean_error, run_cli

    shutil.copy(ALTO, tmp_path / "lonely.xml")
    proc = run_cli("train", "--out", str(tmp_path / "run"), "--ground-truth", str(tmp_path / "lonely.xml"),
                   "--max-steps", "1")
    assert_clean_error(proc, "lonely.xml: image not found")
    assert not (tmp_path / "run" / "last.pt").exists()


def test_archive_lines_are_cropped_as_training_cropped_them() -> None:
    from models_ml.htr.groundtruth import polygon_crop

    page = read_ground_truth(ALTO)
    with Image.open(page.image_path) as im:
        grey = im.convert("L")
    (crop, line), _ = page_lines(page)
    same = polygon_crop(grey, [list(p) for p in line.polygon], [list(p) for p in line.baseline])
    assert same.size == crop.size
    assert np.array_equal(np.asarray(same), np.asarray(crop))  # the same pixels, paper tone included
