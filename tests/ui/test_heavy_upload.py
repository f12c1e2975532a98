"""Defect 6 of issue 20 in the browser: a heavy upload (over INGEST_SYNC_MAX_PAGES) answers 202 with an ingest job;
the uploader follows the job's progress and ends with the same "Done: N pages" and "open" link as a light one."""
from __future__ import annotations

import io

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.ui, pytest.mark.django_db(transaction=True)]


def test_a_heavy_upload_is_followed_as_a_job_in_the_uploader(transactional_db, sessions, collection, settings,
                                                             start_worker):
    from PIL import Image

    from archive.models import Document
    from jobs.models import Job

    settings.INGEST_SYNC_MAX_PAGES = 2
    frames = [Image.new("L", (300, 200), 40 * n) for n in range(1, 5)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="TIFF", save_all=True, append_images=frames[1:])
    worker = start_worker("ui-ingest")
    s = sessions()
    s.login("curator")
    s.page.goto(f"/c/{collection.slug}/")
    s.page.locator(".file-input").set_input_files([{"name": "bundle-4p.tif", "mimeType": "image/tiff",
                                                   "buffer": buffer.getvalue()}])
    row = s.page.locator(".upload", has_text="bundle-4p.tif")
    try:
        expect(row.locator(".status")).to_contain_text("Done: 4 pages", timeout=120_000)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n--- worker log ---\n{worker.output()[-4000:]}") from exc
    job = Job.objects.get(kind="ingest")
    document = Document.objects.get(collection=collection)
    assert job.state == "succeeded" and job.result["documents"] == [document.pk] and document.pages.count() == 4
    row.get_by_role("link", name="open").click()
    expect(s.page.get_by_role("heading", name="bundle-4p.tif")).to_be_visible()
