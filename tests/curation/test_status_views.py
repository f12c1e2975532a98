"""Page status, progress and live parts in the web interface and the API (permissions included)."""
from __future__ import annotations

import pytest
from django.test import Client

from tests.inscription.helpers import make_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(collection):
    from archive.models import Document

    doc = Document.objects.create(collection=collection, title="Register")
    make_page(doc, order=1)
    return make_page(doc, order=0)


def web(user) -> Client:
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def test_mark_verified_in_the_workspace_and_see_the_collection_progress(page, users, collection):
    from archive.models import PageStatus

    curator = web(users["curator"])
    before = curator.get(f"/c/{collection.slug}/live/").content.decode()
    assert 'data-status-count="verified">0<' in before
    r = curator.post(f"/p/{page.pk}/status/", {"status": "verified"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and 'data-status="verified"' in r.content.decode()
    after = curator.get(f"/c/{collection.slug}/live/").content.decode()
    assert 'data-status-count="verified">1<' in after and "50%" in after
    # the next page to correct skips the verified one
    nxt = curator.get(f"/d/{page.document_id}/next/")
    other = page.document.pages.exclude(pk=page.pk).get()
    assert nxt["Location"] == f"/p/{other.pk}/"
    assert PageStatus.objects.filter(page=page).count() == 1


def test_status_permissions_and_bad_input(page, users):
    from archive.models import PageStatus

    assert web(users["viewer"]).post(f"/p/{page.pk}/status/", {"status": "verified"}).status_code == 403
    assert web(users["stranger"]).post(f"/p/{page.pk}/status/", {"status": "verified"}).status_code == 404
    r = web(users["curator"]).post(f"/p/{page.pk}/status/", {"status": "done"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 400 and "Unknown page status" in r.content.decode()
    assert PageStatus.objects.count() == 0


def test_status_and_progress_api(client_for, page, collection):
    r = client_for("curator").post(f"/api/v1/pages/{page.pk}/status/", {"status": "verified", "note": "read twice"}, format="json")
    assert r.status_code == 201 and r.json()["state"] == "verified" and r.json()["set_by"] == "curator"
    assert client_for("curator").post(f"/api/v1/pages/{page.pk}/status/", {"status": "verified"}, format="json").status_code == 200
    history = client_for("viewer").get(f"/api/v1/pages/{page.pk}/status/").json()
    assert [h["state"] for h in history] == ["verified"]
    assert client_for("viewer").post(f"/api/v1/pages/{page.pk}/status/", {"status": "new"}, format="json").status_code == 403
    assert client_for("stranger").get(f"/api/v1/pages/{page.pk}/status/").status_code == 404
    assert client_for("curator").post(f"/api/v1/pages/{page.pk}/status/", {"status": "nope"}, format="json").status_code == 400
    doc = client_for("viewer").get(f"/api/v1/documents/{page.document_id}/progress/").json()
    assert doc["counts"]["verified"] == 1 and doc["total"] == 2
    coll = client_for("viewer").get(f"/api/v1/collections/{collection.slug}/progress/").json()
    assert coll["verified_percent"] == 50
    assert client_for("stranger").get(f"/api/v1/collections/{collection.slug}/progress/").status_code == 404


def test_live_parts_render_for_readers_only(page, users, collection):
    doc = page.document
    r = web(users["viewer"]).get(f"/d/{doc.pk}/live/")
    assert r.status_code == 200 and 'id="document-live"' in r.content.decode()
    assert web(users["stranger"]).get(f"/d/{doc.pk}/live/").status_code == 404
    assert web(users["stranger"]).get(f"/c/{collection.slug}/live/").status_code == 404
    full = web(users["curator"]).get(f"/d/{doc.pk}/").content.decode()
    assert f'hx-get="/d/{doc.pk}/live/"' in full and "Next page to correct" in full
