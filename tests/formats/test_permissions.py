"""Every formats endpoint against anonymous / stranger / viewer / curator / owner (private and public collections)."""
from __future__ import annotations

import pytest
from django.core.files.base import ContentFile

READERS = {"anonymous": 404, "stranger": 404, "viewer": 200, "curator": 200, "owner": 200}


def read_urls(doc) -> list[str]:
    page = doc.pages.order_by("order").first()
    return [f"/api/v1/documents/{doc.pk}/manifest/", f"/api/v1/documents/{doc.pk}/alto/", f"/api/v1/documents/{doc.pk}/page-xml/",
            f"/api/v1/documents/{doc.pk}/text/", f"/api/v1/pages/{page.pk}/alto/", f"/api/v1/pages/{page.pk}/page-xml/",
            f"/api/v1/pages/{page.pk}/text/", f"/api/v1/collections/{doc.collection.slug}/iiif/"]


@pytest.mark.parametrize("who,expected", READERS.items())
def test_read_endpoints(sample_document, client_for, who, expected):
    client = client_for(who)
    for url in read_urls(sample_document):
        assert client.get(url).status_code == expected, (who, url)


def test_public_collection_is_readable_anonymously_and_missing_objects_are_404(sample_document, client_for):
    sample_document.collection.visibility = "public"
    sample_document.collection.save()
    client = client_for("anonymous")
    for url in read_urls(sample_document):
        assert client.get(url).status_code == 200, url
    assert client.get("/api/v1/pages/999999/alto/").status_code == 404
    assert client_for("owner").get(f"/api/v1/documents/{sample_document.pk}/text/?layer=nope").status_code == 400


@pytest.mark.parametrize("who,expected", [("anonymous", (401, 403)), ("stranger", (404,)), ("viewer", (403,)),
                                          ("curator", (400,)), ("owner", (400,))])
def test_imports_need_curator_rights(collection, client_for, who, expected):
    """Curators and owners get past the permission check (then 400 for the empty payload); nobody else does."""
    client = client_for(who)
    xml = client.post("/api/v1/collections/letters/import/xml/", {}, format="multipart")
    iiif = client.post("/api/v1/collections/letters/import/iiif/", {}, format="json")
    assert xml.status_code in expected and iiif.status_code in expected, (xml.content, iiif.content)


@pytest.mark.parametrize("who,expected", [("anonymous", (401, 403)), ("stranger", (404,)), ("viewer", (202,)),
                                          ("curator", (202,)), ("owner", (202,))])
def test_export_needs_read_rights(collection, client_for, who, expected):
    response = client_for(who).post("/api/v1/collections/letters/export/")
    assert response.status_code in expected
    if response.status_code == 202:
        from jobs.models import Job

        job = Job.objects.get(pk=response.json()["job"])
        assert job.kind == "export" and job.collection == collection and job.requested_by.username == who


@pytest.mark.parametrize("who,expected", [("anonymous", 404), ("stranger", 404), ("viewer", 200), ("curator", 200), ("owner", 200)])
def test_download(collection, client_for, users, who, expected):
    from django.core.files.storage import default_storage

    from jobs.models import Job

    name = default_storage.save("exports/1/letters.zip", ContentFile(b"PK\x05\x06" + b"\0" * 18))
    job = Job.objects.create(kind="export", collection=collection, state="succeeded", result={"file": name},
                             requested_by=users["viewer"])
    from archive.services.export_links import download_path

    response = client_for(who).get(download_path(job))
    assert response.status_code == expected
    if expected == 200:
        assert b"".join(response.streaming_content).startswith(b"PK")
    running = Job.objects.create(kind="export", collection=collection, state="running")
    if expected == 200:
        late = client_for(who).get(download_path(running))
        assert late.status_code == 409 and late.json()["error"]["code"] == "export_not_ready"
