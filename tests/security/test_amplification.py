"""Defect 12 of issue 20: a zip's ratio is checked for the whole archive, and one upload's decoded pixels are capped."""
from __future__ import annotations

import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.formats.helpers import media_files, row_counts


def _ingest(client_for, collection, name: str, data: bytes):
    return client_for("curator").post(f"/api/v1/collections/{collection.slug}/ingest/",
                                      {"files": [SimpleUploadedFile(name, data)]}, format="multipart")


def test_many_small_members_that_expand_too_much_in_all_are_a_zip_bomb(collection, client_for, settings):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for n in range(12):  # each exactly 1 MiB: the per-member check skips members this small
            zf.writestr(f"letters/{n:02d}.txt", " " * (1024 * 1024))
    assert len(buffer.getvalue()) < 200_000
    before, files = row_counts(), media_files(settings)
    response = _ingest(client_for, collection, "spaces.zip", buffer.getvalue())
    assert response.status_code == 413, response.content
    error = response.json()["error"]
    assert error["code"] == "zip_bomb" and "in all" in error["message"]
    assert row_counts() == before and media_files(settings) == files


def test_an_ordinary_zip_of_texts_still_goes_in(collection, client_for):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for n in range(3):
            zf.writestr(f"{n}.txt", f"Liebe Anna, Brief {n}. " * 200)
    response = _ingest(client_for, collection, "texts.zip", buffer.getvalue())
    assert response.status_code == 201, response.content


def test_total_decoded_pixels_of_one_upload_are_capped(collection, client_for, settings):
    settings.MAX_DECODED_PIXELS = 150_000
    frames = [Image.new("L", (300, 200), 30 * n) for n in range(1, 4)]  # 60,000 pixels each, 180,000 in all
    buffer = io.BytesIO()
    frames[0].save(buffer, format="TIFF", save_all=True, append_images=frames[1:], compression="tiff_deflate")
    before, files = row_counts(), media_files(settings)
    response = _ingest(client_for, collection, "frames.tif", buffer.getvalue())
    assert response.status_code == 413, response.content
    assert response.json()["error"]["code"] == "too_many_pixels"
    assert row_counts() == before and media_files(settings) == files
    settings.MAX_DECODED_PIXELS = 200_000
    assert _ingest(client_for, collection, "frames.tif", buffer.getvalue()).status_code == 201


def test_the_pixel_cap_is_for_the_whole_request_not_each_file(collection, client_for, settings):
    """Two files of 120,000 pixels each under a 150,000 cap: the first goes in, the second is refused (207)."""
    from archive.models import Document

    settings.MAX_DECODED_PIXELS = 150_000
    files = [SimpleUploadedFile(f"scan-{n}.png", _png(400, 300, 40 * n)) for n in (1, 2)]
    response = client_for("curator").post(f"/api/v1/collections/{collection.slug}/ingest/", {"files": files},
                                          format="multipart")
    assert response.status_code == 207, response.content
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["ok", "error"] and results[1]["error"]["code"] == "too_many_pixels"
    assert list(Document.objects.values_list("title", flat=True)) == ["scan-1.png"]
    assert collection.documents.get().pages.count() == 1


def test_a_zip_bomb_is_refused_in_the_request_even_when_it_would_be_a_heavy_ingest(collection, client_for, settings):
    """The central directory is vetted before the upload is weighed: a bomb never becomes a job."""
    from jobs.models import Job

    settings.INGEST_SYNC_MAX_PAGES = 2
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for n in range(12):
            zf.writestr(f"letters/{n:02d}.txt", " " * (1024 * 1024))
    response = _ingest(client_for, collection, "spaces.zip", buffer.getvalue())
    assert response.status_code == 413 and response.json()["error"]["code"] == "zip_bomb", response.content
    assert not Job.objects.exists()


def _png(width: int, height: int, colour: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (width, height), colour).save(buffer, format="PNG")
    return buffer.getvalue()
