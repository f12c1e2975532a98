"""Fixtures for the memory-lens tests: a registered recognizer and a page it has read."""
from __future__ import annotations

import pytest

from tests.jobs.conftest import (
    recognizer_dir,
    start_worker,  # noqa: F401 - the jobs engineer's real worker fixture, shared by import
)
from tests.lens.helpers import add_lines, read_lines, synthetic_page
from tests.ui.conftest import sessions  # noqa: F401 - the UI engineer's Chromium fixture, shared by import

TEXTS = ["the letters arrived on Tuesday", "and were read aloud", "in the kitchen"]


@pytest.fixture
def lens_model(db, tmp_path_factory):
    """The shipped recognizer when present, else a small random one (same code path); registered."""
    from jobs.services.models import register_model_dir

    model, _ = register_model_dir(recognizer_dir(tmp_path_factory.getbasetemp()))
    return model


@pytest.fixture
def read_page(collection, users, lens_model):
    """(document, page, lines, machine layer, machine inscriptions) of a synthetic handwritten page."""
    from archive.models import Document
    from models_ml.synth.sources import fonts_for
    from tests.inscription.helpers import make_page

    document = Document.objects.create(collection=collection, title="Synthetic letter", created_by=users["owner"])
    image, boxes = synthetic_page(TEXTS, fonts_for("train")[0], seed=3)
    page = make_page(document, image)
    lines = add_lines(page, boxes)
    layer, inscriptions = read_lines(document, page, lines, lens_model)
    return document, page, lines, layer, inscriptions
