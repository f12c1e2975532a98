"""Segmentation metrics on cases whose answer is known by hand."""
from __future__ import annotations

import pytest

from models_ml.segment.layout import Line, PageLayout, Region
from models_ml.segment.metrics import baseline_pr, evaluate_page, polygon_matches, resample, summarise, tolerances

GT = [[(100, 100), (900, 100)], [(100, 200), (900, 200)], [(100, 300), (900, 300)]]


def test_resample_keeps_the_ends_and_spacing() -> None:
    pts = resample([(0, 0), (100, 0)], 5.0)
    assert tuple(pts[0]) == (0, 0) and tuple(pts[-1]) == (100, 0)
    assert len(pts) == 21


def test_tolerance_is_a_quarter_of_the_line_spacing_clipped() -> None:
    lines = [resample(g, 5.0) for g in GT]
    assert tolerances(lines) == pytest.approx([25.0, 25.0, 25.0])
    assert tolerances(lines[:1]) == [30.0]  # a lone line gets the largest tolerance


def test_identical_baselines_score_one() -> None:
    r = baseline_pr(GT, GT)
    assert r["precision"] == pytest.approx(1.0) and r["recall"] == pytest.approx(1.0)


def test_small_offset_is_tolerated_and_large_offset_is_not() -> None:
    near = [[(x, y + 10) for x, y in g] for g in GT]
    assert baseline_pr(near, GT)["recall"] == pytest.approx(1.0)
    far = [[(x, y + 700) for x, y in g] for g in GT]  # far beyond 3 × tolerance: no coverage
    r = baseline_pr(far, GT)
    assert r["recall"] == pytest.approx(0.0, abs=1e-6) and r["precision"] == pytest.approx(0.0, abs=1e-6)


def test_half_detected_lines_halve_recall_not_precision() -> None:
    half = [[(100, y), (500, y)] for (_, y), _ in GT]
    r = baseline_pr(half, GT)
    assert r["precision"] == pytest.approx(1.0)
    # 400 of 800 px fully covered, the next t = 25 px too, the next 2t = 50 px half on average
    assert r["recall"] == pytest.approx((400 + 25 + 25) / 800, abs=0.01)


def test_missing_and_extra_lines() -> None:
    r = baseline_pr(GT[:2], GT)
    assert r["precision"] == pytest.approx(1.0) and r["recall"] == pytest.approx(2 / 3, abs=0.01)
    r = baseline_pr(GT + [[(100, 600), (900, 600)]], GT)
    assert r["recall"] == pytest.approx(1.0) and r["precision"] == pytest.approx(0.75, abs=0.01)
    assert baseline_pr([], GT)["recall"] == 0.0
    assert baseline_pr([], [])["precision"] == 1.0


def test_split_line_keeps_precision_but_merged_lines_lose_it() -> None:
    split = [[(100, 100), (480, 100)], [(520, 100), (900, 100)]] + GT[1:]
    assert baseline_pr(split, GT)["precision"] == pytest.approx(1.0)
    # one hypothesis zig-zagging over two lines is aligned with one of them only
    merged = [[(100, 100), (500, 100), (500, 200), (900, 200)], GT[2]]
    r = baseline_pr(merged, GT)
    assert r["precision"] < 0.8


def _box(x0: int, y0: int, x1: int, y1: int) -> list[tuple[int, int]]:
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def test_polygon_matching_at_iou_half() -> None:
    gt = [_box(0, 0, 100, 100), _box(0, 200, 100, 300)]
    hyp = [_box(0, 0, 100, 60),      # IoU 0.6: a match
           _box(0, 200, 100, 240)]   # IoU 0.4: no match
    matches = polygon_matches(hyp, gt)
    assert [(i, j) for i, j, _ in matches] == [(0, 0)]
    assert matches[0][2] == pytest.approx(0.6)


def test_page_figures_and_summary() -> None:
    gt = PageLayout(1000, 1000, regions=[Region(_box(50, 50, 950, 950), "main")],
                    lines=[Line(baseline=b, polygon=_box(100, b[0][1] - 60, 900, b[0][1] + 20), region=0) for b in GT])
    hyp = PageLayout(1000, 1000, regions=[Region(_box(50, 50, 950, 950), "margin")],
                     lines=[Line(baseline=b, polygon=_box(100, b[0][1] - 60, 900, b[0][1] + 20), region=0) for b in GT])
    page = evaluate_page(hyp, gt)
    assert page["poly_matches"] == 3
    s = summarise([page])
    assert s["baseline_f1"] == pytest.approx(1.0) and s["polygon_iou50_f1"] == pytest.approx(1.0)
    assert s["region_accuracy"] == pytest.approx(0.0)  # right place, wrong type
    assert s["line_region_type_accuracy"] == 0.0
    hyp.regions[0].type = "main"
    s = summarise([evaluate_page(hyp, gt)])
    assert s["region_accuracy"] == pytest.approx(1.0) and s["line_region_type_accuracy"] == 1.0
