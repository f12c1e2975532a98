"""How a transcribe job cuts its pages into pipeline batches."""
from __future__ import annotations

import pytest

from inscription.tasks import _ramped_chunks


@pytest.mark.parametrize("n, size, sizes", [
    (16, 8, [1, 2, 4, 8, 1]), (3, 8, [1, 2]), (40, 8, [1, 2, 4, 8, 8, 8, 8, 1]), (5, 1, [1, 1, 1, 1, 1]), (0, 8, []),
])
def test_batches_ramp_up_then_hold_and_keep_every_page_in_order(n, size, sizes):
    pages = list(range(n))
    chunks = _ramped_chunks(pages, size)
    assert [len(c) for c in chunks] == sizes
    assert [p for c in chunks for p in c] == pages
