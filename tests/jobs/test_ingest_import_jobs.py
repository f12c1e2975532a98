"""Defect 6 of issue 20 with real processes: a heavy ingest and a IIIF import run as io-queue jobs in a real Celery
worker; a worker SIGKILLed mid-ingest leaves no half-document and another finishes the job; bad input found by the
job fails it with a clear error and nothing stored. On the configured database and broker (PostgreSQL + Redis in
CI, SQLite + the filesystem transport without them)."""
from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from tests.conftest import png_bytes
from tests.formats.helpers import media_files, row_counts
from tests.formats.test_iiif_import import Server, manifest_v3
from tests.jobs.conftest import final_job, wait_for
from tests.security.test_bad_input_400 import _pdf_with_count

pytestmark = pytest.mark.django_db(transaction=True)


def numbered_pdf(count: int, size: tuple[int, int] = (600, 800)) -> bytes:
    """``count`` pages, each different (so each is its own blob), ``size`` points each."""
    frames = []
    for n in range(count):
        frame = Image.new("L", size, 235)
        ImageDraw.Draw(frame).rectangle((10 + 9 * n, 10, 40 + 9 * n, 60 + 3 * n), fill=20)
        frames.append(frame)
    buffer = io.BytesIO()
    frames[0].save(buffer, format="PDF", save_all=True, append_images=frames[1:], resolution=72.0)
    return buffer.getvalue()


def _ingest(client, slug: str, name: str, data: bytes) -> int:
    response = client.post(f"/api/v1/collections/{slug}/ingest/", {"files": [SimpleUploadedFile(name, data)]},
                           format="multipart")
    assert response.status_code == 202, response.content
    return response.json()["job"]


def test_a_worker_killed_mid_ingest_leaves_no_half_document_and_another_finishes(
        collection, client_for, settings, start_worker):
    from archive.models import Document, ImageBlob
    from archive.services.blob_gc import gc_blobs
    from jobs.models import Job, JobState

    settings.INGEST_SYNC_MAX_PAGES = 3
    pages = 24
    first = start_worker("ingest-a")
    job_id = _ingest(client_for("curator"), collection.slug, "register.pdf", numbered_pdf(pages))
    wait_for(lambda: (j := Job.objects.get(pk=job_id)).state == JobState.RUNNING and j.progress_done >= 2,
             what="the ingest to be under way", worker=first, interval=0.05)
    first.kill()
    killed = Job.objects.get(pk=job_id)
    assert killed.state == JobState.RUNNING and killed.progress_done < pages, "the job ended before the kill"
    assert not Document.objects.exists()  # pages decoded so far are files, not rows: no half-document
    second = start_worker("ingest-b")
    job = final_job(job_id, worker=second)
    assert job.state == JobState.SUCCEEDED, job.error or second.output()[-3000:]
    assert job.attempts >= 2 and job.progress_done == job.progress_total == pages
    document = Document.objects.get()
    assert list(document.pages.order_by("order").values_list("order", flat=True)) == list(range(pages))
    assert ImageBlob.objects.count() == pages and job.result["documents"] == [document.pk]
    assert gc_blobs(older_than=0, dry_run=True).deleted == []  # the first attempt's files are the ones linked
    assert not [f for f in media_files(settings) if f.startswith("staging/")]


def test_iiif_import_and_bad_ingests_as_jobs_in_a_real_worker(collection, client_for, settings, start_worker):
    from archive.models import Document
    from jobs.models import JobState

    settings.INGEST_SYNC_MAX_PAGES = 3
    server = Server()
    try:
        server.add("/img/1.png", png_bytes(600, 400), "image/png")
        server.add("/img/2.png", png_bytes(600, 400, 10), "image/png")
        data, _ = manifest_v3(server.base, ["/img/1.png", "/img/2.png"])
        good = server.add("/iiif/manifest.json", data)
        broken, _ = manifest_v3(server.base, ["/img/1.png", "/img/missing.png"])
        bad = server.add("/iiif/broken.json", broken)
        worker = start_worker("import", extra_env={"IIIF_FETCH_ALLOW": "127.0.0.1"})
        client = client_for("curator")
        before, files = row_counts(), media_files(settings)

        # bad input found inside the jobs: a lying PDF, an image that is not there. Each fails, nothing is stored.
        pdf_job = final_job(_ingest(client, collection.slug, "lying.pdf", _pdf_with_count(40)), worker=worker)
        assert pdf_job.state == JobState.FAILED and pdf_job.result["error"]["code"] == "corrupt_pdf", pdf_job.error
        response = client.post(f"/api/v1/collections/{collection.slug}/import/iiif/", {"url": bad}, format="json")
        assert response.status_code == 202, response.content
        iiif_bad = final_job(response.json()["job"], worker=worker)
        assert iiif_bad.state == JobState.FAILED and iiif_bad.result["error"]["code"] == "remote_error", iiif_bad.error
        assert row_counts() == before and media_files(settings) == files

        response = client.post(f"/api/v1/collections/{collection.slug}/import/iiif/", {"url": good}, format="json")
        assert response.status_code == 202, response.content
        job = final_job(response.json()["job"], worker=worker)
        assert job.state == JobState.SUCCEEDED, job.error or worker.output()[-3000:]
        assert job.kind == "import" and job.progress_done == job.progress_total == 2
        document = Document.objects.get(pk=job.result["document"])
        assert document.pages.count() == 2 and job.result["lines"] == 4
        polled = client.get(f"/api/v1/jobs/{job.pk}/").json()
        assert polled["state"] == "succeeded" and polled["result"]["document"] == document.pk
    finally:
        server.close()
