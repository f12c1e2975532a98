"""Adding pages to an existing document, reordering them, and removing one (which keeps its history)."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import png_bytes
from tests.inscription.helpers import make_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def doc(collection):
    from archive.models import Document

    d = Document.objects.create(collection=collection, title="Ledger")
    for i in range(3):
        make_page(d, order=i).__class__.objects.filter(document=d, order=i).update(original_filename=f"p{i + 1}.png")
    return d


def order_of(doc) -> list[str]:
    return list(doc.pages.order_by("order").values_list("original_filename", flat=True))


def test_upload_adds_pages_at_the_end_of_an_existing_document(client_for, collection, doc):
    from archive.models import Document

    files = [SimpleUploadedFile("p4.png", png_bytes(40, 20), "image/png"), SimpleUploadedFile("p5.png", png_bytes(41, 20), "image/png")]
    r = client_for("curator").post(f"/api/v1/collections/{collection.slug}/ingest/", {"files": files, "document": doc.pk},
                                   format="multipart")
    assert r.status_code == 201, r.content
    assert order_of(doc) == ["p1.png", "p2.png", "p3.png", "p4.png", "p5.png"]
    assert list(doc.pages.order_by("order").values_list("order", flat=True)) == [0, 1, 2, 3, 4]
    assert Document.objects.filter(collection=collection).count() == 1


def test_text_cannot_be_added_to_a_scan_document_and_nothing_is_stored(client_for, collection, doc):
    from archive.models import Document, Page

    before = Page.all_objects.count()
    r = client_for("curator").post(f"/api/v1/collections/{collection.slug}/ingest/",
                                   {"files": [SimpleUploadedFile("note.txt", b"hello", "text/plain")], "document": doc.pk},
                                   format="multipart")
    assert r.status_code == 400 and r.json()["error"]["code"] == "not_a_scan"
    assert Page.all_objects.count() == before and Document.objects.count() == 1
    r = client_for("curator").post(f"/api/v1/collections/{collection.slug}/ingest/",
                                   {"files": [SimpleUploadedFile("p.png", png_bytes(), "image/png")], "document": 999999},
                                   format="multipart")
    assert r.status_code == 404 and Page.all_objects.count() == before


def test_move_and_reorder(client_for, doc):
    p3 = doc.pages.get(original_filename="p3.png")
    r = client_for("curator").post(f"/api/v1/pages/{p3.pk}/move/", {"position": 1}, format="json")
    assert r.status_code == 200
    assert order_of(doc) == ["p3.png", "p1.png", "p2.png"]
    ids = list(doc.pages.order_by("-order").values_list("pk", flat=True))
    assert client_for("curator").post(f"/api/v1/documents/{doc.pk}/page-order/", {"pages": ids}, format="json").status_code == 200
    assert order_of(doc) == ["p2.png", "p1.png", "p3.png"]
    r = client_for("curator").post(f"/api/v1/documents/{doc.pk}/page-order/", {"pages": ids[:2]}, format="json")
    assert r.status_code == 400 and order_of(doc) == ["p2.png", "p1.png", "p3.png"]
    assert client_for("viewer").post(f"/api/v1/pages/{p3.pk}/move/", {"position": 2}, format="json").status_code == 403
    assert client_for("stranger").post(f"/api/v1/pages/{p3.pk}/move/", {"position": 2}, format="json").status_code == 404


def test_removing_a_page_keeps_it_and_its_inscriptions(client_for, doc, users):
    from archive.models import Page
    from inscription.models import Inscription
    from inscription.services.inscriptions import create_inscription
    from inscription.services.layers import GROUND_TRUTH, get_or_create_layer
    from tests.inscription.helpers import make_lines

    p2 = doc.pages.get(original_filename="p2.png")
    (line,) = make_lines(p2, 1)
    gt = get_or_create_layer(doc, GROUND_TRUTH, "ground_truth", user=users["curator"])
    ins = create_inscription(layer=gt, text="kept", line=line, user=users["curator"])
    r = client_for("curator").post(f"/api/v1/pages/{p2.pk}/remove/")
    assert r.status_code == 200
    assert order_of(doc) == ["p1.png", "p3.png"]
    assert list(doc.pages.order_by("order").values_list("order", flat=True)) == [0, 1]
    removed = Page.all_objects.get(pk=p2.pk)
    assert removed.removed_at and removed.removed_by == users["curator"] and removed.removed_from_order == 1
    assert Inscription.objects.get(pk=ins.pk).text == "kept"
    assert client_for("curator").get(f"/api/v1/pages/{p2.pk}/").status_code == 404
    assert client_for("curator").post(f"/api/v1/pages/{p2.pk}/remove/").status_code == 404


def test_page_order_from_the_document_page(doc, users):
    from django.test import Client

    web = Client()
    web.force_login(users["curator"])
    p1 = doc.pages.get(original_filename="p1.png")
    assert web.post(f"/p/{p1.pk}/move/", {"direction": "down"}).status_code == 302
    assert order_of(doc) == ["p2.png", "p1.png", "p3.png"]
    assert web.post(f"/p/{p1.pk}/move/", {"position": "3"}).status_code == 302
    assert order_of(doc) == ["p2.png", "p3.png", "p1.png"]
    page = web.get(f"/d/{doc.pk}/").content.decode()
    assert "Add, reorder and remove pages" in page and f'data-document="{doc.pk}"' in page
    web.post(f"/p/{p1.pk}/remove/")
    assert "Removed pages (1)" in web.get(f"/d/{doc.pk}/").content.decode()
    viewer = Client()
    viewer.force_login(users["viewer"])
    assert viewer.post(f"/p/{doc.pages.first().pk}/remove/").status_code == 403
