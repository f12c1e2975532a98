"""Bad input: a clear 4xx with a stable code, and nothing stored (no rows, no blob files)."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from tests.archive.samples import image_bytes, pdf_pages, zip_bytes, zip_with_raw_name, zip_with_symlink

pytestmark = pytest.mark.django_db


def post(client, files: dict[str, bytes], **extra):
    uploads = [SimpleUploadedFile(name, data) for name, data in files.items()]
    return client.post("/api/v1/collections/letters/ingest/", {"files": uploads, **extra}, format="multipart")


def blob_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / "blobs"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def assert_nothing_stored() -> None:
    from archive.models import Document, ImageBlob, Page, Tag, Text

    assert Document.objects.count() == 0
    assert Page.objects.count() == 0
    assert ImageBlob.objects.count() == 0
    assert Text.objects.count() == 0
    assert Tag.objects.count() == 0
    assert blob_files() == []


def assert_refused(response, status: int, code: str) -> None:
    assert response.status_code == status, response.json()
    error = response.json()["error"]
    assert error["code"] == code, error
    assert error["message"]
    if "results" in (error.get("detail") or {}):
        (result,) = error["detail"]["results"]
        assert result["status"] == "error" and result["error"]["code"] == code and result["document"] is None
    assert_nothing_stored()


def truncated_png() -> bytes:
    data = image_bytes(size=(400, 300), mode="RGB")
    return data[: len(data) // 2]


def truncated_jpeg() -> bytes:
    from PIL import Image

    noisy = Image.effect_noise((300, 200), 80)
    buffer = io.BytesIO()
    noisy.save(buffer, format="JPEG", quality=95)
    data = buffer.getvalue()
    return data[: len(data) * 2 // 3]


CASES = [
    ("text spoofed as .png", {"letter.png": b"Dear Sir, this is not an image."}, 415, "type_mismatch"),
    ("html spoofed as .png", {"letter.png": b"<!doctype html><html><script>alert(1)</script></html>"}, 415, "type_mismatch"),
    ("html spoofed as .pdf", {"report.pdf": b"<html></html>"}, 415, "type_mismatch"),
    ("unsupported type", {"page.html": b"<html></html>"}, 415, "unsupported_type"),
    ("gif is not a supported scan format", {"anim.gif": image_bytes("GIF")}, 415, "unsupported_type"),
    ("truncated png", {"half.png": truncated_png()}, 400, "corrupt_image"),
    ("truncated jpeg", {"half.jpg": truncated_jpeg()}, 400, "corrupt_image"),
    ("corrupt png chunk", {"bad.png": image_bytes()[:40] + b"\x00" * 20 + image_bytes()[60:]}, 400, "corrupt_image"),
    ("corrupt pdf", {"broken.pdf": b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog" + b"\x00" * 100}, 400, "corrupt_pdf"),
    ("empty upload", {"nothing.png": b""}, 400, "empty_file"),
    ("empty text", {"blank.txt": b"  \n\n "}, 400, "empty_file"),
    ("binary named .txt", {"data.txt": b"\x00\x01\x02binary\x00" * 10}, 415, "binary_content"),
    ("zip with absolute path", {"abs.zip": zip_with_raw_name("/etc/cron.d/evil.png", image_bytes())}, 400, "unsafe_zip_path"),
    ("zip with windows absolute path", {"abs.zip": zip_with_raw_name("C:\\evil.png", image_bytes())}, 400, "unsafe_zip_path"),
    ("zip with .. member", {"up.zip": zip_with_raw_name("letters/../../evil.png", image_bytes())}, 400, "unsafe_zip_path"),
    ("zip with symlink", {"link.zip": zip_with_symlink()}, 400, "unsafe_zip_path"),
    ("zip bomb by ratio", {"bomb.zip": zip_bytes({"zeros.txt": b"\x00" * (8 * 1024 * 1024)})}, 413, "zip_bomb"),
    ("corrupt zip", {"cut.zip": zip_bytes({"a/p.png": image_bytes()})[:-30]}, 400, "corrupt_zip"),
    ("zip with nothing to ingest", {"junk.zip": zip_bytes({"readme.docx": b"x"})}, 400, "empty_file"),
]


@pytest.mark.parametrize(("label", "files", "status", "code"), CASES, ids=[c[0] for c in CASES])
def test_bad_upload_is_refused_and_leaves_nothing(label, files, status, code, client_for, collection):
    assert_refused(post(client_for("curator"), files), status, code)


def test_decompression_bomb_over_limit(client_for, collection, settings):
    settings.MAX_IMAGE_PIXELS = 10_000
    assert_refused(post(client_for("curator"), {"big.png": image_bytes(size=(150, 100))}), 413, "decompression_bomb")


def test_decompression_bomb_far_over_limit_is_stopped_by_pillow_at_open(client_for, collection, settings):
    settings.MAX_IMAGE_PIXELS = 10_000  # 400x400 = 16x the limit: Pillow raises DecompressionBombError itself
    assert_refused(post(client_for("curator"), {"huge.png": image_bytes(size=(400, 400))}), 413, "decompression_bomb")


def test_pdf_page_rendering_over_pixel_limit(client_for, collection, settings):
    settings.MAX_IMAGE_PIXELS = 100_000
    assert_refused(post(client_for("curator"), {"poster.pdf": pdf_pages(1, size=(600, 600))}), 413, "decompression_bomb")


def test_upload_over_max_upload_bytes_is_refused_before_parsing(client_for, collection, settings):
    settings.MAX_UPLOAD_BYTES = 2_000
    assert_refused(post(client_for("curator"), {"big.png": image_bytes(size=(300, 300), mode="RGB") + b"\0" * 3000}), 413,
                   "too_large")


def test_file_over_max_upload_bytes_is_refused_by_the_service(tmp_path, collection, settings):
    from archive.ingest import Upload
    from archive.services.ingest import ingest_upload

    settings.MAX_UPLOAD_BYTES = 500
    result = ingest_upload(collection, Upload.from_bytes("big.png", image_bytes(size=(300, 300), mode="RGB")), user=None)
    assert result.error["code"] == "too_large" and result.http_status == 413
    assert_nothing_stored()


def test_zip_over_total_uncompressed_size(client_for, collection, settings):
    settings.MAX_ZIP_UNCOMPRESSED_BYTES = 1_000
    archive = zip_bytes({"a/p1.png": image_bytes(size=(200, 200), mode="RGB"), "a/p2.png": image_bytes(size=(210, 200))})
    assert_refused(post(client_for("curator"), {"big.zip": archive}), 413, "zip_bomb")


def test_zip_with_too_many_members(client_for, collection, settings):
    settings.MAX_ZIP_MEMBERS = 3
    archive = zip_bytes({f"a/p{i}.png": image_bytes(colour=i) for i in range(4)})
    assert_refused(post(client_for("curator"), {"many.zip": archive}), 413, "zip_too_many_members")


def test_zip_with_one_bad_member_stores_nothing_at_all(client_for, collection):
    """The first folder decodes fine and its blob files get written; the corrupt member in the
    second folder rolls back every row and removes those files again."""
    archive = zip_bytes({"a/p1.png": image_bytes(colour=1), "a/p2.png": image_bytes(colour=2), "b/p1.png": truncated_png()})
    assert_refused(post(client_for("curator"), {"box.zip": archive}), 400, "corrupt_image")


def test_existing_blob_survives_a_failed_ingest_that_reused_it(client_for, collection):
    from archive.models import ImageBlob

    shared = image_bytes(colour=77)
    assert post(client_for("curator"), {"first.png": shared}).status_code == 201
    response = post(client_for("curator"), {"box.zip": zip_bytes({"a/p1.png": shared, "a/p2.png": truncated_png()})})
    assert response.status_code == 400
    assert ImageBlob.objects.count() == 1 and len(blob_files()) == 1


def test_non_utf8_text_is_decoded_with_the_declared_fallback(client_for, collection):
    raw = "Caf\u00e9 \u2014 \u201cquoted\u201d".encode("cp1252")
    response = post(client_for("curator"), {"cp1252.txt": raw})
    assert response.status_code == 201
    from archive.models import Text

    text = Text.objects.get()
    assert text.encoding == "cp1252" and text.content == "Caf\u00e9 \u2014 \u201cquoted\u201d"


def test_bytes_undefined_in_cp1252_fall_back_to_latin1(client_for, collection):
    response = post(client_for("curator"), {"odd.txt": b"abc \x81\x8d def"})
    assert response.status_code == 201
    from archive.models import Text

    assert Text.objects.get().encoding == "latin-1"


def test_no_files_is_a_400(client_for, collection):
    response = client_for("curator").post("/api/v1/collections/letters/ingest/", {"title": "x"}, format="multipart")
    assert response.status_code == 400 and response.json()["error"]["code"] == "no_files"


def test_invalid_metadata_is_refused_before_any_file_is_read(client_for, collection):
    response = post(client_for("curator"), {"a.png": image_bytes()}, metadata='{"year_from": 1900, "year_to": 1800}')
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert_nothing_stored()
    response = post(client_for("curator"), {"a.png": image_bytes()}, metadata="{not json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_metadata"


def test_mixed_batch_is_per_file_207(client_for, collection):
    from archive.models import Document

    response = post(client_for("curator"), {"good.png": image_bytes(), "bad.png": b"<html>"})
    assert response.status_code == 207
    results = {r["file"]: r for r in response.json()["results"]}
    assert results["good.png"]["status"] == "ok" and results["bad.png"]["error"]["code"] == "type_mismatch"
    assert list(Document.objects.values_list("title", flat=True)) == ["good.png"]


def test_all_files_failing_with_different_codes_is_400_ingest_failed(client_for, collection):
    response = post(client_for("curator"), {"a.png": b"<html>", "b.png": truncated_png()})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "ingest_failed"
    assert len(response.json()["error"]["detail"]["results"]) == 2
    assert_nothing_stored()


def test_management_command_reports_bad_files_and_fails(tmp_path, collection):
    bad = tmp_path / "spoof.png"
    bad.write_bytes(b"<html></html>")
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 of 1 files were not ingested"):
        call_command("ingest", str(bad), "--collection", "letters", stdout=io.StringIO(), stderr=err)
    assert "type_mismatch" in err.getvalue()
    assert_nothing_stored()


def test_management_command_refuses_unknown_collection_without_create(tmp_path, db):
    path = tmp_path / "a.png"
    path.write_bytes(image_bytes())
    with pytest.raises(CommandError, match="No collection"):
        call_command("ingest", str(path), "--collection", "nowhere", stdout=io.StringIO())
