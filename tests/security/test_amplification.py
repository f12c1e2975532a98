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
