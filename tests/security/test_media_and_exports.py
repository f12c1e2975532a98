"""Defect 2 of issue 20: media is private, and export downloads need an unguessable, expiring link."""
from __future__ import annotations

import importlib

import pytest
from django.core.files.base import ContentFile
from django.test import override_settings
from django.urls import Resolver404, clear_url_caches, resolve


def test_media_is_not_served_as_a_static_tree_even_with_debug():
    """`make run` sets DEBUG=1; /media/ must still not resolve to a file server."""
    import palimpsest.urls

    try:
        with override_settings(DEBUG=True):
            reloaded = importlib.reload(palimpsest.urls)
            clear_url_caches()
            for path in ("/media/exports/1/letters-20260101.zip", "/media/blobs/ab.png", "/media/thumbs/ab/cd/x-256.jpg"):
                with pytest.raises(Resolver404):
                    resolve(path, urlconf=reloaded)
    finally:
        importlib.reload(palimpsest.urls)
        clear_url_caches()


def _finished_export(collection, users):
    from django.core.files.storage import default_storage

    from archive.services.export_links import export_file_name
    from jobs.models import Job

    job = Job.objects.create(kind="export", collection=collection, state="running", requested_by=users["viewer"],
                             celery_task_id="t-1")
    name = default_storage.save(export_file_name(job), ContentFile(b"PK\x05\x06" + b"\0" * 18))
    job.state, job.result = "succeeded", {"file": name}
    job.save()
    return job


def test_export_file_name_is_not_predictable(collection, users):
    job = _finished_export(collection, users)
    name = job.result["file"]
    assert name.startswith(f"exports/{job.pk}/") and name.endswith(".zip")
    secret = name.split("/")[2]
    assert len(secret) == 32 and secret not in (collection.slug, str(job.pk))


def test_download_needs_the_signed_key_and_the_role(collection, users, client_for):
    from archive.services.export_links import download_path

    job = _finished_export(collection, users)
    bare = f"/api/v1/collections/letters/exports/{job.pk}/download/"
    assert client_for("viewer").get(bare).status_code == 404
    assert client_for("viewer").get(bare + "?key=AAAA:BBBB").status_code == 404
    link = download_path(job)
    assert "?key=" in link
    ok = client_for("viewer").get(link)
    assert ok.status_code == 200 and b"".join(ok.streaming_content).startswith(b"PK")
    assert client_for("stranger").get(link).status_code == 404  # a leaked link is no use to a stranger
    assert client_for("anonymous").get(link).status_code == 404
    # The job's API answer carries a fresh link.
    api = client_for("viewer").get(f"/api/v1/jobs/{job.pk}/").json()
    assert api["download"].endswith(link.split("?key=")[0] + "?key=" + api["download"].split("?key=")[1])
    assert client_for("viewer").get(api["download"].replace("http://testserver", "")).status_code == 200


def test_download_link_expires(collection, users, client_for, settings):
    from archive.services.export_links import download_path

    job = _finished_export(collection, users)
    link = download_path(job)
    settings.EXPORT_LINK_SECONDS = -1
    response = client_for("viewer").get(link)
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_a_key_for_one_job_does_not_open_another(collection, users, client_for):
    from archive.services.export_links import download_key

    first, second = _finished_export(collection, users), _finished_export(collection, users)
    url = f"/api/v1/collections/letters/exports/{second.pk}/download/?key={download_key(first)}"
    assert client_for("viewer").get(url).status_code == 404
