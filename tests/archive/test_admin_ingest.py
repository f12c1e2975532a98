"""The admin's "Ingest files" page uses the same service: good files stored, bad ones reported, nothing half-stored."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.archive.samples import image_bytes, tiff_pages

pytestmark = pytest.mark.django_db


def test_admin_ingest_view(client, users, collection):
    from archive.models import Document, Page

    client.force_login(users["admin"])
    url = f"/admin/archive/collection/{collection.pk}/ingest/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"files": [SimpleUploadedFile("a.png", image_bytes()), SimpleUploadedFile("b.tif", tiff_pages(2))],
                                 "language": "en"})
    assert response.status_code == 302
    assert sorted(Document.objects.values_list("title", "language")) == [("a.png", "en"), ("b.tif", "en")]  # bundles keep their file names
    assert Page.objects.count() == 3
    bad = client.post(url, {"files": [SimpleUploadedFile("x.png", b"<html>")]})
    assert bad.status_code == 200 and b"type_mismatch" in bad.content
    assert Document.objects.count() == 2


def test_admin_action_redirects_to_the_ingest_page(client, users, collection):
    client.force_login(users["admin"])
    response = client.post("/admin/archive/collection/", {"action": "ingest_files_action", "_selected_action": [collection.pk]})
    assert response.status_code == 302 and response["Location"].endswith(f"/admin/archive/collection/{collection.pk}/ingest/")


def test_non_staff_cannot_reach_the_admin_ingest_page(client, users, collection):
    client.force_login(users["owner"])
    response = client.get(f"/admin/archive/collection/{collection.pk}/ingest/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
