"""Defect 6 and 12 of issue 20: heavy ingests are staged and run as io-queue jobs (kind "ingest") with progress;
light ones stay in the request. The job runs here through the runner's lifecycle (``execute``); the real worker,
a SIGKILL mid-job and the IIIF import job are in tests/jobs/test_ingest_import_jobs.py."""
from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.archive.samples import image_bytes, pdf_pages, tiff_pages, zip_bytes
from tests.formats.helpers import media_files, row_counts
from tests.security.test_bad_input_400 import _pdf_with_count


@pytest.fixture
def low_threshold(settings):
    settings.INGEST_SYNC_MAX_PAGES = 3
    return settings


def _post(client, collection, name: str, data: bytes, **fields):
    return client.post(f"/api/v1/collections/{collection.slug}/ingest/",
                       {"files": [SimpleUploadedFile(name, data)], **fields}, format="multipart")


def _run(job_id: int):
    from archive.tasks import ingest_files
    from jobs.models import Job
    from jobs.runner import execute

    execute(job_id, ingest_files.body)
    return Job.objects.get(pk=job_id)


def _staged(settings) -> list[str]:
    root = Path(settings.MEDIA_ROOT) / "staging"
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_a_light_upload_is_still_ingested_in_the_request(client_for, collection, low_threshold):
    response = _post(client_for("curator"), collection, "three.pdf", pdf_pages(3))
    assert response.status_code == 201, response.content
    assert response.json()["results"][0]["pages"] == 3 and _staged(low_threshold) == []


@pytest.mark.parametrize("name,data,pages", [
    ("bundle.pdf", pdf_pages(5), 5),
    ("bundle.tif", tiff_pages(5), 5),
    ("bundle.zip", zip_bytes({f"letter/p{n}.png": image_bytes(colour=20 * n) for n in range(1, 6)}), 5),
])
def test_a_heavy_upload_is_staged_answered_202_and_ingested_by_a_job(client_for, collection, low_threshold, users,
                                                                     name, data, pages):
    from archive.models import Document

    response = _post(client_for("curator"), collection, name, data, metadata='{"creator": "Marie K."}')
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["kind"] == "ingest" and body["state"] == "queued" and body["files"] == [name]
    assert response["Location"] == body["url"] and body["url"].endswith(f"/api/v1/jobs/{body['job']}/")
    assert not Document.objects.exists() and len(_staged(low_threshold)) == 1  # stored as it came, nothing decoded
    polled = client_for("curator").get(f"/api/v1/jobs/{body['job']}/").json()
    assert polled["kind"] == "ingest" and polled["progress_total"] == 0
    job = _run(body["job"])
    assert job.state == "succeeded", job.error
    assert (job.progress_done, job.progress_total) == (pages, pages)
    document = Document.objects.get()
    assert job.result["documents"] == [document.pk] and job.result["pages"] == pages
    assert document.pages.count() == pages and document.creator == "Marie K." and document.created_by == users["curator"]
    assert _staged(low_threshold) == []  # the staged upload goes once the job is done


def test_bad_input_found_in_the_job_fails_it_clearly_and_stores_nothing(client_for, collection, low_threshold):
    """A PDF whose page tree claims 50 pages (heavy by its header) has one: the job, not the request, finds out."""
    before, files = row_counts(), media_files(low_threshold)
    response = _post(client_for("curator"), collection, "lying.pdf", _pdf_with_count(50))
    assert response.status_code == 202, response.content
    job = _run(response.json()["job"])
    assert job.state == "failed" and job.result["error"]["code"] == "corrupt_pdf", (job.error, job.result)
    assert "lying.pdf" in job.error and "Traceback" not in job.error
    assert row_counts() == before and media_files(low_threshold) == files  # no rows, no blobs, no staged file


def test_a_job_with_one_bad_file_keeps_the_good_ones(client_for, collection, low_threshold):
    from archive.models import Document

    client = client_for("curator")
    response = client.post(f"/api/v1/collections/{collection.slug}/ingest/", {"files": [
        SimpleUploadedFile("good.pdf", pdf_pages(4)), SimpleUploadedFile("bad.pdf", _pdf_with_count(9))]},
        format="multipart")
    assert response.status_code == 202, response.content
    job = _run(response.json()["job"])
    assert job.state == "succeeded", job.error
    assert [r["status"] for r in job.result["results"]] == ["ok", "error"] and job.result["failed"] == 1
    assert Document.objects.get().title == "good.pdf" and Document.objects.get().pages.count() == 4


def test_heavy_pages_added_to_an_existing_document_through_a_job(client_for, collection, low_threshold):
    from archive.models import Document

    client = client_for("curator")
    first = _post(client, collection, "start.png", image_bytes())
    document = Document.objects.get(pk=first.json()["results"][0]["document"])
    response = _post(client, collection, "more.tif", tiff_pages(4), document=str(document.pk))
    assert response.status_code == 202, response.content
    job = _run(response.json()["job"])
    assert job.state == "succeeded" and job.document_id == document.pk, job.error
    assert list(document.pages.order_by("order").values_list("order", flat=True)) == [0, 1, 2, 3, 4]


def test_a_job_that_already_recorded_its_file_does_not_ingest_it_twice(client_for, collection, low_threshold):
    """A worker killed after the file's transaction committed (its result recorded with the rows) but before the
    job ended: the next delivery finds the file done and creates nothing again."""
    from archive.models import Document
    from jobs.models import Job, JobState

    response = _post(client_for("curator"), collection, "bundle.pdf", pdf_pages(5))
    job = _run(response.json()["job"])
    assert job.state == "succeeded"
    Job.objects.filter(pk=job.pk).update(state=JobState.RUNNING, worker_pid=None)  # as if the worker died at the end
    again = _run(job.pk)
    assert again.state == "succeeded" and Document.objects.count() == 1 and again.result["documents"] == job.result["documents"]


@pytest.mark.parametrize("params", [
    {"files": [{"staged": "blobs/ab/cd/abcdef.png", "name": "x.png"}]},
    {"files": [{"staged": "staging/../../settings.py", "name": "x"}]},
    {"files": []},
    {},
])
def test_post_jobs_cannot_point_an_ingest_at_other_files(client_for, collection, params):
    from jobs.models import Job

    response = client_for("curator").post("/api/v1/jobs/", {"kind": "ingest", "collection": collection.slug,
                                                            "parameters": params}, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "bad_parameters", response.content
    assert not Job.objects.exists()


def test_the_threshold_is_a_setting(client_for, collection, settings):
    settings.INGEST_SYNC_MAX_PAGES = 20
    assert _post(client_for("curator"), collection, "five.tif", tiff_pages(5)).status_code == 201
    settings.INGEST_SYNC_MAX_PAGES = 4
    assert _post(client_for("curator"), collection, "five.tif", tiff_pages(5)).status_code == 202
    settings.INGEST_SYNC_MAX_PAGES, settings.INGEST_SYNC_MAX_PIXELS = 20, 100 * 140 * 4
    assert _post(client_for("curator"), collection, "five.tif", tiff_pages(5)).status_code == 202
    settings.INGEST_SYNC_MAX_PIXELS, settings.INGEST_SYNC_MAX_BYTES = 10**9, 100
    assert _post(client_for("curator"), collection, "big.png", image_bytes(size=(400, 400))).status_code == 202


def test_gc_blobs_sweeps_staged_uploads_no_unfinished_job_needs(client_for, collection, low_threshold):
    from archive.services.blob_gc import gc_blobs
    from jobs.models import Job
    from jobs.services.jobs import request_cancel

    client = client_for("curator")
    kept = Job.objects.get(pk=_post(client, collection, "kept.pdf", pdf_pages(5)).json()["job"])
    cancelled = Job.objects.get(pk=_post(client, collection, "gone.pdf", pdf_pages(5)).json()["job"])
    request_cancel(cancelled)  # cancelled before it started: its staged upload is left behind
    assert len(_staged(low_threshold)) == 2
    assert gc_blobs().deleted == []  # younger than a day
    swept = gc_blobs(older_than=0).deleted
    assert swept == [cancelled.parameters["files"][0]["staged"]]
    assert _staged(low_threshold) == [kept.parameters["files"][0]["staged"].removeprefix("staging/")]
