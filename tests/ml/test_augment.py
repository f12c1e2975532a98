"""Scan-like augmentation: every transform keeps the line's height and range, and really changes it."""
from __future__ import annotations

import numpy as np
import pytest

from models_ml.htr.augment import PIPELINE, augment_line


def _line() -> np.ndarray:
    a = np.ones((32, 120), dtype=np.float32)
    a[10:22, 10:110:6] = 0.0  # vertical strokes
    a[20:22, 10:110] = 0.1  # a baseline stroke
    return a


@pytest.mark.parametrize("fn", [fn for fn, _ in PIPELINE], ids=lambda f: f.__name__)
def test_each_transform_keeps_height_and_range_and_changes_the_image(fn) -> None:  # noqa: ANN001
    a = _line()
    changed = False
    for seed in range(5):
        b = fn(a.copy(), np.random.default_rng(seed))
        assert b.shape[0] == a.shape[0] and b.dtype == np.float32
        assert np.isfinite(b).all()
        changed |= b.shape != a.shape or float(np.abs(b - a).mean()) > 1e-3
    assert changed


def test_the_pipeline_is_deterministic_per_seed_and_varied_across_seeds() -> None:
    a = (_line() * 255).astype(np.uint8)
    one = augment_line(a, np.random.default_rng(3))
    assert np.array_equal(one, augment_line(a, np.random.default_rng(3)))
    outs = {augment_line(a, np.random.default_rng(s)).tobytes() for s in range(6)}
    assert len(outs) == 6
    assert 0.0 <= one.min() and one.max() <= 1.0
