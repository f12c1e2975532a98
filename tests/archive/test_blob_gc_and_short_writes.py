"""Issue 20, defects 6 and 11: an ingest decodes and stores files outside its (short) write transaction, SQLite runs
in WAL mode with a busy timeout, and manage.py gc_blobs deletes blob files no row points at."""
from __future__ import annotations

import io
import os
import time

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection

from tests.conftest import png_bytes


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(db):
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL has row locks and MVCC; WAL is SQLite's")
    with connection.cursor() as cursor:
        assert cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"
        assert cursor.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000


@pytest.mark.django_db(transaction=True)  # so that "inside a transaction" means the ingest's own
def test_pages_are_decoded_and_stored_before_the_write_transaction(collection, client_for, monkeypatch):
    """A spy on the real decoder records whether a transaction is open while each page is decoded."""
    from PIL import Image

    from archive.ingest import decode as decode_module

    real_decode = decode_module.decode_file
    seen: list[bool] = []

    def spying_decode(*args, **kwargs):
        decoded = real_decode(*args, **kwargs)
        for plan in decoded.plans:
            pages = plan.pages if hasattr(plan, "pages") else None
            if pages is None:
                continue

            def spy(pages=pages):
                for page in pages:
                    seen.append(connection.in_atomic_block)
                    yield page

            plan.pages = spy()
        return decoded

    monkeypatch.setattr("archive.services.ingest.decode_file", spying_decode)
    frames = [Image.new("L", (300, 200), 40 * n) for n in range(1, 4)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="TIFF", save_all=True, append_images=frames[1:])
    response = client_for("curator").post(f"/api/v1/collections/{collection.slug}/ingest/",
                                          {"files": [SimpleUploadedFile("three.tif", buffer.getvalue())]}, format="multipart")
    assert response.status_code == 201, response.content
    assert response.json()["results"][0]["pages"] == 3
    assert seen == [False, False, False]


def _age(path, seconds: float) -> None:
    old = time.time() - seconds
    os.utime(path, (old, old))


def test_gc_blobs_deletes_old_files_without_a_row_only(collection, client_for, settings, capsys):
    from django.core.files.storage import default_storage

    from archive.models import ImageBlob

    response = client_for("curator").post(f"/api/v1/collections/{collection.slug}/ingest/",
                                          {"files": [SimpleUploadedFile("a.png", png_bytes(40, 30, 7))]}, format="multipart")
    assert response.status_code == 201
    kept = ImageBlob.objects.get().file.name
    old_orphan = default_storage.save("blobs/ab/cd/" + "ab" * 32 + ".png", ContentFile(png_bytes(10, 10, 3)))
    young_orphan = default_storage.save("blobs/ef/01/" + "ef" * 32 + ".png", ContentFile(png_bytes(10, 10, 4)))
    old_thumb = default_storage.save("thumbs/ab/cd/" + "ab" * 32 + "-256.jpg", ContentFile(b"jpg"))
    for name in (kept, old_orphan, old_thumb):
        _age(default_storage.path(name), 2 * 86400)
    call_command("gc_blobs", "--dry-run")
    assert "would delete 2 orphan(s)" in capsys.readouterr().out and default_storage.exists(old_orphan)
    call_command("gc_blobs")
    out = capsys.readouterr().out
    assert "deleted 2 orphan(s)" in out and "kept 1 too young" in out
    assert not default_storage.exists(old_orphan) and not default_storage.exists(old_thumb)
    assert default_storage.exists(young_orphan) and default_storage.exists(kept)
    call_command("gc_blobs", "--older-than", "0")
    assert not default_storage.exists(young_orphan) and default_storage.exists(kept)
