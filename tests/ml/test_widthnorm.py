"""Writing-width normalisation: the stroke period, the stretch, the card setting, and the CLI that tunes it."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from models_ml.htr.data import MAX_WIDTH, LineSet, preprocess
from models_ml.htr.widthnorm import WidthNorm, stroke_period
from models_ml.registry import default_model_dir
from tests.ml.test_cli_htr import assert_clean_error, run_cli

FIX = Path(__file__).parent / "fixtures" / "groundtruth"


def strokes(period: int, width: int = 240, height: int = 32, stroke: int = 2) -> np.ndarray:
    """A normalised "line" of vertical strokes every ``period`` columns in its middle band (ink 0, paper 1)."""
    a = np.ones((height, width), dtype=np.float32)
    for x in range(4, width - 4, period):
        a[height // 3: 2 * height // 3, x: x + stroke] = 0.0
    return a


@pytest.mark.parametrize("period", [6, 9, 14])
def test_stroke_period_measures_the_spacing_of_strokes(period: int) -> None:
    assert stroke_period(strokes(period)) == pytest.approx(period, rel=0.1)
    assert stroke_period((strokes(period) * 255).astype(np.uint8)) == pytest.approx(period, rel=0.1)


def test_a_line_without_ink_has_no_period_and_is_left_alone() -> None:
    blank = np.ones((32, 100), dtype=np.float32)
    assert stroke_period(blank) is None
    assert WidthNorm(12.0).scale_for(blank) == 1.0
    assert WidthNorm(12.0).apply(blank, MAX_WIDTH) is blank


def test_compact_writing_is_stretched_within_the_limits_and_wide_writing_kept() -> None:
    norm = WidthNorm(12.0, min_scale=1.0, max_scale=1.4)
    assert norm.scale_for(strokes(10)) == pytest.approx(1.2, rel=0.05)
    assert norm.scale_for(strokes(5)) == 1.4  # capped
    assert norm.scale_for(strokes(16)) == 1.0  # wide hands are not squeezed unless min_scale < 1
    assert WidthNorm(12.0, min_scale=0.8).scale_for(strokes(14)) == pytest.approx(12 / 14, rel=0.05)
    line = strokes(10)
    out = norm.apply(line, MAX_WIDTH)
    assert out.shape[0] == line.shape[0] and out.shape[1] == pytest.approx(line.shape[1] * 1.2, abs=3)
    assert stroke_period(out) == pytest.approx(12, rel=0.1)
    as_bytes = norm.apply((line * 255).astype(np.uint8), MAX_WIDTH)
    assert as_bytes.dtype == np.uint8 and as_bytes.shape == out.shape
    assert norm.apply(line, 250).shape[1] == 250  # never past the widest line the model takes


@pytest.mark.parametrize("bad", [(0.0, 1.0, 1.4), (12.0, 1.2, 1.4), (12.0, 1.0, 0.9), (-3.0, 1.0, 1.4)])
def test_an_impossible_setting_is_refused(bad: tuple[float, float, float]) -> None:
    with pytest.raises(ValueError, match="width normalisation"):
        WidthNorm(*bad)


def test_the_card_setting_round_trips_and_its_absence_means_none() -> None:
    assert WidthNorm.from_card({}) is None and WidthNorm.from_card({"preprocessing": {"height": 32}}) is None
    norm = WidthNorm(13.0, 0.9, 1.6)
    card = {"preprocessing": {"width_norm": {**norm.to_dict(), "tuning": {"cross_fitted_cer": 0.2}}}}
    assert WidthNorm.from_card(card) == norm


def test_preprocess_and_training_lines_apply_the_same_stretch() -> None:
    img = Image.fromarray((strokes(8, height=64) * 255).astype(np.uint8))
    norm = WidthNorm(12.0)
    plain, stretched = preprocess(img, 32), preprocess(img, 32, norm)
    assert stretched.shape[1] == pytest.approx(plain.shape[1] * 1.4, abs=3)
    lines = LineSet(32, norm)
    lines.load_pairs([(img, "iiii")])
    assert lines.images[0].shape == stretched.shape
    assert LineSet(32).width_norm is None


def test_a_recognizer_reads_with_its_cards_setting_and_maps_columns_back(tmp_path: Path) -> None:
    from models_ml.htr.api import Recognizer

    model = _shipped_model_reading_with(tmp_path / "model", {"target": 14.0, "min_scale": 1.0, "max_scale": 1.6})
    img = Image.fromarray((strokes(7, width=300, height=48) * 255).astype(np.uint8))
    plain, normed = Recognizer(_shipped_model_reading_with(tmp_path / "plain", None)), Recognizer(model)
    assert normed.width_norm == WidthNorm(14.0, 1.0, 1.6)
    assert normed.prepare([img])[0].array.shape[1] > plain.prepare([img])[0].array.shape[1]
    reading = normed.recognize([img])[0]
    assert all(0 <= a < b <= img.width for a, b in reading.char_columns)  # columns of the source image, not the stretched one


def _shipped_model_reading_with(folder: Path, width_norm: dict | None) -> Path:
    """A copy of the shipped recognizer whose card has this width normalisation (None: none, a model made before it)."""
    shutil.copytree(default_model_dir(), folder)
    card = json.loads((folder / "card.json").read_text())
    card["preprocessing"].pop("width_norm", None)
    if width_norm:
        card["preprocessing"]["width_norm"] = width_norm
    (folder / "card.json").write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n")
    return folder


def _two_hands(tmp_path: Path) -> Path:
    hands = tmp_path / "gt"
    hands.mkdir()
    shutil.copy(FIX / "will_0001-0.png", hands)
    for will in ("XX_0001", "XX_0002"):  # two hands (wills), so there are two folds
        shutil.copy(FIX / "will_0001-0.xml", hands / f"TestamentsDePoilus_will_{will}-0.xml")
    return hands


def test_tune_width_reports_and_writes_a_new_version_only_when_the_setting_changes(tmp_path: Path) -> None:
    model = _shipped_model_reading_with(tmp_path / "model", None)
    original = json.loads((model / "card.json").read_text())
    hands = _two_hands(tmp_path)
    args = ("tune-width", "--ground-truth", str(hands), "--model", str(model), "--targets", "12", "30",
            "--max-scales", "1.5")
    proc = run_cli(*args)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["hands"] == 2 and len(report["grid"]) == 3 and "card_written" not in report
    assert report["grid"][0]["target"] == 0.0 and report["without"] == report["grid"][0]["cer"]
    assert json.loads((model / "card.json").read_text()) == original

    proc = run_cli(*args, "--write-card")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    card = json.loads((model / "card.json").read_text())
    best = report["best"]
    if best["target"]:
        spec = card["preprocessing"]["width_norm"]
        assert (spec["target"], spec["max_scale"]) == (best["target"], best["max_scale"])
        assert spec["tuning"]["cross_fitted_cer"] == report["cross_fitted_cer"]
        assert card["version"] != original["version"] and card["parent"]["version"] == original["version"]
        assert card["sha256"] == original["sha256"]  # the same weights, read differently
    else:
        assert "width_norm" not in card["preprocessing"] and card["version"] == original["version"]
    again = run_cli(*args, "--write-card")  # the same choice again: no new version
    assert again.returncode == 0, again.stderr
    assert json.loads((model / "card.json").read_text())["version"] == card["version"]


def test_tune_width_refuses_one_hand_and_an_impossible_target(tmp_path: Path) -> None:
    one_hand = FIX / "will_0001-0.xml"
    assert_clean_error(run_cli("tune-width", "--ground-truth", str(one_hand)), "cross-fitting needs at least 2")
    assert_clean_error(run_cli("tune-width", "--ground-truth", str(_two_hands(tmp_path)), "--targets", "-4"),
                       "width normalisation needs target > 0")


def test_train_records_its_width_norm_and_a_child_inherits_it(tmp_path: Path) -> None:
    hands = _two_hands(tmp_path)
    common = ("--val-ground-truth", str(FIX / "will_0001-0.xml"), "--max-steps", "2", "--eval-every", "2",
              "--checkpoint-every", "2", "--batch-size", "2", "--lm-order", "0", "--threads", "1")
    proc = run_cli("train", "--out", str(tmp_path / "run"), "--ground-truth", str(hands), "--export",
                   str(tmp_path / "parent"), "--height", "32", "--channels", "8,16", "--pools", "2x2,2x2",
                   "--hidden", "16", "--width-norm", "11", "1.0", "1.3", *common)
    assert proc.returncode == 0, proc.stderr
    card = json.loads((tmp_path / "parent" / "card.json").read_text())
    assert card["preprocessing"]["width_norm"] == {"target": 11.0, "min_scale": 1.0, "max_scale": 1.3}
    proc = run_cli("train", "--out", str(tmp_path / "run2"), "--ground-truth", str(hands), "--export",
                   str(tmp_path / "child"), "--init-from", str(tmp_path / "parent"), *common)
    assert proc.returncode == 0, proc.stderr
    child = json.loads((tmp_path / "child" / "card.json").read_text())
    assert child["preprocessing"]["width_norm"] == card["preprocessing"]["width_norm"]
    bad = run_cli("train", "--out", str(tmp_path / "run3"), "--ground-truth", str(hands), "--width-norm", "12", "2")
    assert_clean_error(bad, "--width-norm")



def test_the_archives_fine_tune_reads_lines_as_its_base_model_reads_them(tmp_path: Path) -> None:
    from models_ml.htr.api import load_model
    from models_ml.htr.groundtruth import load_training_lines
    from models_ml.htr.train import evaluate_arrays, finetune

    base = _shipped_model_reading_with(tmp_path / "base", {"target": 30.0, "min_scale": 1.0, "max_scale": 2.0})
    card = json.loads((base / "card.json").read_text())
    pairs = load_training_lines([FIX / "will_0001-0.xml"], exclude_validation=False).pairs
    tuned = finetune(base, pairs, tmp_path / "tuned", epochs=1, batch_size=2, val_pairs=pairs)  # the archive's job
    assert tuned["preprocessing"]["width_norm"] == card["preprocessing"]["width_norm"]
    model, charset, _ = load_model(base)
    texts = [t for _, t in pairs]

    def score(norm: WidthNorm | None) -> dict:
        return evaluate_arrays(model, charset, [(preprocess(img, 32, norm) * 255).astype(np.uint8) for img, _ in pairs],
                               texts, "cpu")

    stretched, plain = score(WidthNorm.from_card(card)), score(None)
    assert stretched != plain  # the setting changes the reading, so the next line can tell which one was used
    assert tuned["metrics"]["validation_before"] == stretched
