"""Fixtures for the inscription tests: a scan document with one page of three lines."""
from __future__ import annotations

import pytest

from tests.inscription.helpers import make_lines, make_page


@pytest.fixture
def document(collection, users):
    from archive.models import Document

    return Document.objects.create(collection=collection, title="Letter 1", created_by=users["owner"])


@pytest.fixture
def page(document):
    return make_page(document)


@pytest.fixture
def lines(page):
    return make_lines(page, 3)


@pytest.fixture
def gt_layer(document):
    from inscription.models import LayerKind
    from inscription.services.layers import get_or_create_layer

    return get_or_create_layer(document, "ground truth", LayerKind.GROUND_TRUTH)
