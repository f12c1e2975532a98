"""The segmenter's CLI: JSON contract of ``segment``, ``evaluate-segmentation`` and clear errors.

Runs the shipped ``store/segment-default`` on a real will page shipped in the repository
(data/real/testaments-de-poilus, a training will; Testaments de Poilus, Archives nationales /
HTR-United, CC-BY 4.0).
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PAGES = REPO / "data" / "real" / "testaments-de-poilus" / "pages"
PAGE = PAGES / "TestamentsDePoilus_will_AD78_0003-1"


def run(*args: str) -> subprocess.CompletedProcess:
    """The CLI as a user runs it (one process: used once, torch imports are slow)."""
    return subprocess.run([sys.executable, "-m", "models_ml", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=300)


def call(capsys, *args: str) -> tuple[int, str, str]:  # noqa: ANN001
    """The same CLI entry point, in this process."""
    from models_ml.cli import main

    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def segmented() -> dict:
    out = run("segment", str(PAGE.with_suffix(".jpg")))
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(rows) == 1
    return rows[0]


def test_segment_prints_regions_and_lines_with_geometry_type_and_order(segmented: dict) -> None:
    doc = segmented
    assert doc["image"].endswith(".jpg") and doc["segmenter"]["name"] == "segment-default"
    w, h = doc["width"], doc["height"]
    assert doc["lines"], "a real will page has lines"
    assert sorted(ln["order"] for ln in doc["lines"]) == list(range(len(doc["lines"])))
    assert sorted(r["order"] for r in doc["regions"]) == list(range(len(doc["regions"])))
    region_ids = {r["id"] for r in doc["regions"]}
    for r in doc["regions"]:
        assert r["type"] in ("main", "margin", "heading", "other") and len(r["polygon"]) >= 3
    for ln in doc["lines"]:
        assert len(ln["baseline"]) >= 2 and len(ln["polygon"]) >= 4
        assert all(0 <= x < w and 0 <= y < h for x, y in ln["baseline"] + ln["polygon"])
        xs = [p[0] for p in ln["baseline"]]
        assert xs == sorted(xs), "baselines run left to right"
        assert ln["region"] is None or ln["region"] in region_ids
        assert ln["region_type"] in ("main", "margin", "heading", "other", None)


def test_reading_order_puts_main_text_before_margins(segmented: dict) -> None:
    rank = {"heading": 0, "main": 1, "margin": 2, "other": 3, None: 4}
    ordered = sorted(segmented["lines"], key=lambda ln: ln["order"])
    ranks = [rank[ln["region_type"]] for ln in ordered]
    assert ranks == sorted(ranks)


def test_classical_fallback_has_the_same_shape(capsys) -> None:  # noqa: ANN001
    code, out, err = call(capsys, "segment", "--method", "classical", str(PAGE.with_suffix(".jpg")))
    assert code == 0, err
    doc = json.loads(out)
    assert doc["segmenter"] == "classical" and doc["regions"] == []
    assert all(ln["region"] is None for ln in doc["lines"])
    from PIL import Image

    from models_ml.segment.api import segment_page_classical

    with Image.open(PAGE.with_suffix(".jpg")) as im:
        expected = segment_page_classical(im.copy())
    assert [ln["baseline"] for ln in doc["lines"]] == [[list(p) for p in ln.baseline] for ln in expected]


def test_bad_images_are_refused_before_any_output(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    bad = tmp_path / "not-an-image.jpg"
    bad.write_bytes(b"GIF89a but not really")
    code, out, err = call(capsys, "segment", str(PAGE.with_suffix(".jpg")), str(bad))
    assert code == 2 and out == "" and "cannot read image" in err
    code, out, err = call(capsys, "segment", str(tmp_path / "missing.png"))
    assert code == 2 and "image not found" in err


def test_a_model_folder_that_is_not_a_segmenter_is_refused(capsys) -> None:  # noqa: ANN001
    code, _, err = call(capsys, "segment", "--model", str(REPO / "models_ml" / "store" / "htr-default"),
                        str(PAGE.with_suffix(".jpg")))
    assert code == 2 and "not a segmentation model" in err


def test_evaluate_segmentation_reports_the_metrics(capsys) -> None:  # noqa: ANN001
    code, out, err = call(capsys, "evaluate-segmentation", "--ground-truth", str(PAGE.with_suffix(".xml")),
                          "--per-page")
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    page, summary = rows[0], rows[-1]
    assert page["page"] == PAGE.name + ".xml"
    for key in ("baseline_precision", "baseline_recall", "baseline_f1", "polygon_iou50_f1", "region_accuracy"):
        assert 0.0 <= summary[key] <= 1.0, key
    assert summary["pages"] == 1 and summary["gt_lines"] == page["gt"]
    # a training page of the shipped model: its baselines are found
    assert summary["baseline_f1"] > 0.5
    code, _, err = call(capsys, "evaluate-segmentation", "--ground-truth", str(PAGES / "nothing-here.xml"))
    assert code == 2 and "ground truth not found" in err


def test_evaluate_page_against_ground_truth_reports_page_and_line_cer(capsys) -> None:  # noqa: ANN001
    code, out, err = call(capsys, "evaluate", "--page", "--ground-truth", str(PAGE.with_suffix(".xml")))
    assert code == 0, err
    report = json.loads(out)
    assert report["pages"] == 1 and report["segmenter"] == "trained" and report["gt_lines"] > 0
    assert report["segmented_lines"] > 0
    assert report["page_cer"] >= 0.0 and report["line_cer_gt_polygons"] >= 0.0
    if report["line_cer_gt_polygons"] > 0:
        assert report["page_to_line_cer"] == pytest.approx(report["page_cer"] / report["line_cer_gt_polygons"],
                                                           abs=2e-3)
    assert report["model"] == "htr-default" and report["model_version"]
    code, out, err = call(capsys, "evaluate", "--page", "--segmenter", "classical", "--ground-truth",
                          str(PAGE.with_suffix(".xml")))
    assert code == 0, err
    classical = json.loads(out)
    assert classical["segmenter"] == "classical"
    assert classical["line_cer_gt_polygons"] == report["line_cer_gt_polygons"]  # same lines, same crops
