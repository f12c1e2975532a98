"""How a transcribe job cuts its pages into pipeline batches."""
from __future__ import annotations

import pytest

from inscription.tasks.lines import ramped_chunks


@pytest.mark.parametrize("n, size, sizes", [
    (16, 8, [1, 2, 4, 9]), (3, 8, [1, 2]), (40, 8, [1, 2, 4, 8, 8, 8, 9]), (5, 1, [1, 1, 1, 1, 1]), (0, 8, []),
    (19, 8, [1, 2, 4, 8, 4]), (20, 32, [1, 2, 4, 8, 5]), (7, 8, [1, 2, 4]), (4, 8, [1, 2, 1]),
])
def test_batches_ramp_up_then_hold_and_keep_every_page_in_order(n, size, sizes):
    pages = list(range(n))
    chunks = ramped_chunks(pages, size)
    assert [len(c) for c in chunks] == sizes
    assert [p for c in chunks for p in c] == pages


def test_every_job_kind_names_a_registered_task_routed_to_the_gpu_queue():
    """The tasks package keeps the names job rows and the routing table use (inscription.tasks.<function>)."""
    import inscription.tasks  # noqa: F401 - registers the tasks, as the worker's autodiscovery does
    from jobs import kinds
    from palimpsest.celery import app

    router = app.amqp.router
    for kind in ("segment", "transcribe", "summarise", "train", "evaluate"):
        name = kinds.get(kind).task
        assert name.startswith("inscription.tasks."), name
        assert name in app.tasks, name
        assert router.route({}, name)["queue"].name == "gpu", name
