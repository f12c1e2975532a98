"""The inference batch planner: every line once, batches by width, never worse than plain sorting."""
from __future__ import annotations

import numpy as np
import pytest

from models_ml.htr.data import plan_batches


def _cost(widths, batches, batch_cost: float) -> float:
    return sum(batch_cost + len(b) * max(widths[i] for i in b) for b in batches)


def _plain(widths, size: int) -> list[list[int]]:
    order = sorted(range(len(widths)), key=lambda i: widths[i])
    return [order[i: i + size] for i in range(0, len(order), size)]


@pytest.mark.parametrize("seed", range(5))
def test_every_line_once_sorted_and_no_costlier_than_sorting(seed):
    rng = np.random.default_rng(seed)
    widths = [int(w) for w in rng.integers(20, 1000, size=int(rng.integers(1, 60)))]
    for size, batch_cost in ((8, 300.0), (16, 0.0), (3, 50.0)):
        batches = plan_batches(widths, size, batch_cost)
        assert sorted(i for b in batches for i in b) == list(range(len(widths)))
        assert all(1 <= len(b) <= size for b in batches)
        flat = [widths[i] for b in batches for i in b]
        assert flat == sorted(flat)
        assert _cost(widths, batches, batch_cost) <= _cost(widths, _plain(widths, size), batch_cost)


def test_cuts_where_widths_jump_unless_a_call_is_dear():
    widths = [100, 900, 110, 905, 120]
    assert plan_batches(widths, 8, 50.0) == [[0, 2, 4], [1, 3]]
    assert plan_batches(widths, 8, 10_000.0) == [[0, 2, 4, 1, 3]]  # one call is cheaper than any padding saved
    assert [len(b) for b in plan_batches(widths, 2, 10_000.0)] in ([1, 2, 2], [2, 1, 2])  # fewest calls of ≤ 2
    assert plan_batches([], 8, 300.0) == []


def test_recognize_is_prepare_then_recognize_prepared():
    """The job's split path (preprocess on a loader thread) reads exactly what recognize() reads."""
    from PIL import Image, ImageDraw

    from models_ml.htr.api import load_recognizer

    rec = load_recognizer(None, "cpu")
    images = []
    for i, text in enumerate(["a short one", "and a much longer line of writing", "mid length"]):
        image = Image.new("L", (40 + 14 * len(text), 48), 255)
        ImageDraw.Draw(image).text((10, 15 + i), text, fill=0)
        images.append(image)
    whole = rec.recognize(images, batch_size=2)
    split = rec.recognize_prepared(rec.prepare(images), batch_size=2)
    assert [(r.text, r.char_columns, r.frames) for r in whole] == [(r.text, r.char_columns, r.frames) for r in split]
    import torch

    widths = torch.tensor([p.array.shape[1] for p in rec.prepare(images)])
    expected = rec.model.frame_lengths(widths).tolist()
    assert len(set(expected)) == 3 and [r.frames for r in whole] == expected  # readings come back in input order
