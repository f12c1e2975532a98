"""Holdings fixtures: a scan document with a page and a line, and a born-digital text document."""
from __future__ import annotations

import pytest

from tests.archive.samples import image_bytes


@pytest.fixture
def scan(collection, users):
    """A scan document in the private collection: one page (ingested for real) with one line."""
    from archive.ingest import Upload
    from archive.models import Document, Line, Page
    from archive.services.ingest import ingest_upload

    result = ingest_upload(collection, Upload.from_bytes("letter.png", image_bytes(size=(200, 100))), user=users["curator"])
    assert result.ok, result.error
    document = Document.objects.get(pk=result.documents[0])
    page = Page.objects.get(document=document)
    line = Line.objects.create(page=page, polygon=[[10, 10], [190, 10], [190, 40], [10, 40]], baseline=[[10, 38], [190, 38]],
                               order=0, created_by=users["curator"])
    return {"document": document, "page": page, "line": line}


@pytest.fixture
def text_doc(collection, users):
    from archive.models import Document, DocumentKind, Text

    document = Document.objects.create(collection=collection, kind=DocumentKind.TEXT, title="Address", created_by=users["owner"])
    text = Text.objects.create(document=document, content="Fellow citizens.", sha256="0" * 64)
    empty = Document.objects.create(collection=collection, kind=DocumentKind.TEXT, title="Untranscribed", created_by=users["owner"])
    return {"document": document, "text": text, "empty": empty}
