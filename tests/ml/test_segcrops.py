"""Training lines cut by the segmenter: matched to ground truth, validation wills kept out, counted."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from models_ml.htr.segcrops import page_segmenter_pairs, segmenter_crops
from models_ml.segment.api import crop_line, segment_page

FIX = Path(__file__).parent / "fixtures" / "groundtruth"
ALTO = FIX / "will_0001-0.xml"
TEXTS = ["Je lègue à ma sœur", "mes livres et l'épée"]


def test_a_page_pairs_segmenter_crops_with_the_text_of_the_line_they_overlap() -> None:
    pairs, n_gt, missed, extra = page_segmenter_pairs(ALTO)
    assert n_gt == 2 and pairs, "the shipped segmenter finds at least one of the fixture's two lines"
    assert len(pairs) + missed == n_gt
    from PIL import Image

    with Image.open(FIX / "will_0001-0.png") as im:
        lines = segment_page(im.convert("L"))
    assert len(pairs) + extra == len(lines)
    for crop, text in pairs:
        assert text in TEXTS
        assert crop.height >= 8 and crop.width > crop.height  # a line, cut from the page
    # the crop is the segmenter's, not the ground truth's: the same as cropping the segmenter's line
    sizes = set()
    with Image.open(FIX / "will_0001-0.png") as im:
        from models_ml.htr.groundtruth import paper_tone

        grey = im.convert("L")
        sizes = {crop_line(grey, ln, paper_tone(grey)).size for ln in lines}
    assert {crop.size for crop, _ in pairs} <= sizes


def test_a_match_needs_enough_overlap() -> None:
    pairs, n_gt, missed, _ = page_segmenter_pairs(ALTO, min_iou=0.999)
    assert pairs == [] and missed == n_gt == 2


def test_validation_wills_are_never_cut_for_training_and_are_counted(tmp_path: Path) -> None:
    shutil.copy(FIX / "will_0001-0.png", tmp_path)
    shutil.copy(ALTO, tmp_path / "TestamentsDePoilus_will_AN_0021-0.xml")  # a validation will's name
    got = segmenter_crops([tmp_path])
    assert got.pairs == [] and got.pages == 0 and got.skipped_validation_files == 1
    shutil.copy(ALTO, tmp_path / "TestamentsDePoilus_will_AN_0022-0.xml")  # a training will's name
    got = segmenter_crops([tmp_path])
    s = got.summary()
    assert s["pages"] == 1 and s["skipped_validation_files"] == 1 and s["ground_truth_lines"] == 2
    assert s["matched_lines"] + s["unmatched_ground_truth_lines"] == 2
    assert segmenter_crops([tmp_path], exclude_validation=False).pages == 2


def test_train_records_the_segmenter_crops_in_the_card(tmp_path: Path) -> None:
    from tests.ml.test_cli_htr import run_cli

    wills = tmp_path / "gt"
    wills.mkdir()
    shutil.copy(FIX / "will_0001-0.png", wills)
    shutil.copy(ALTO, wills / "TestamentsDePoilus_will_XX_0001-0.xml")
    proc = run_cli("train", "--out", str(tmp_path / "run"), "--ground-truth", str(wills), "--segmenter-crops", "2",
                   "--export", str(tmp_path / "model"), "--height", "32", "--channels", "8,16", "--pools", "2x2,2x2",
                   "--hidden", "16", "--max-steps", "2", "--eval-every", "2", "--checkpoint-every", "2",
                   "--batch-size", "2", "--lm-order", "0", "--threads", "1", "--val-synth", "4")
    assert proc.returncode == 0, proc.stderr
    crops = json.loads((tmp_path / "model" / "card.json").read_text())["training_data"]["real"]["segmenter_crops"]
    assert crops["pages"] == 1 and crops["repeat_per_epoch"] == 2 and crops["matched_lines"] >= 1
    assert crops["matched_lines"] + crops["unmatched_ground_truth_lines"] == crops["ground_truth_lines"] == 2


def test_segmenter_crops_without_ground_truth_is_a_clear_error(tmp_path: Path) -> None:
    from tests.ml.test_cli_htr import assert_clean_error, run_cli

    proc = run_cli("train", "--out", str(tmp_path / "run"), "--segmenter-crops", "1", "--max-steps", "1",
                   "--val-synth", "2")
    assert_clean_error(proc, "--segmenter-crops needs --ground-truth")
    assert not (tmp_path / "run" / "last.pt").exists()
