"""Round trips: each supported format in, documents/pages/texts out, via the API and the management command."""
from __future__ import annotations

import hashlib
import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from PIL import Image

from tests.archive.samples import image_bytes, pdf_pages, tiff_pages, zip_bytes

pytestmark = pytest.mark.django_db


def post_files(client, files: dict[str, bytes], slug: str = "letters", **extra):
    uploads = [SimpleUploadedFile(name, data) for name, data in files.items()]
    return client.post(f"/api/v1/collections/{slug}/ingest/", {"files": uploads, **extra}, format="multipart")


def pages_of(document_id: int):
    from archive.models import Page

    return list(Page.objects.filter(document_id=document_id).select_related("image").order_by("order"))


def decoded(page) -> Image.Image:
    with default_storage.open(page.image.file.name, "rb") as handle:
        image = Image.open(io.BytesIO(handle.read()))
        image.load()
    return image


@pytest.mark.parametrize(("fmt", "name", "mime"), [("PNG", "a.png", "image/png"), ("JPEG", "b.jpg", "image/jpeg")])
def test_png_and_jpeg_are_stored_as_uploaded(fmt, name, mime, client_for, collection):
    data = image_bytes(fmt, size=(321, 123))
    response = post_files(client_for("curator"), {name: data})
    assert response.status_code == 201, response.json()
    result = response.json()["results"][0]
    assert result["status"] == "ok" and result["pages"] == 1 and result["error"] is None
    (page,) = pages_of(result["document"])
    assert (page.width, page.height) == (321, 123)
    assert page.image.sha256 == hashlib.sha256(data).hexdigest()
    assert page.image.mime_type == mime
    assert page.image.file.name == f"blobs/{page.image.sha256[:2]}/{page.image.sha256[2:4]}/{page.image.sha256}.{name.rsplit('.')[1]}"
    image = client_for("viewer").get(f"/api/v1/pages/{page.pk}/image/")
    assert image.status_code == 200 and image["Content-Type"] == mime
    assert b"".join(image.streaming_content) == data


def test_multipage_tiff_becomes_one_document_with_a_png_page_per_frame(client_for, collection):
    response = post_files(client_for("curator"), {"register.tiff": tiff_pages(3, size=(100, 140))}, title="Parish register")
    assert response.status_code == 201, response.json()
    result = response.json()["results"][0]
    assert result["pages"] == 3
    from archive.models import Document

    assert Document.objects.get(pk=result["document"]).title == "Parish register"
    pages = pages_of(result["document"])
    assert [p.order for p in pages] == [0, 1, 2]
    greys = [decoded(p).getpixel((5, 5)) for p in pages]
    assert greys == [40, 100, 160]  # frame order kept, each frame its own image
    assert {p.image.mime_type for p in pages} == {"image/png"}


def test_pdf_pages_are_rendered_at_the_configured_dpi(client_for, collection, settings):
    settings.PDF_RENDER_DPI = 144  # 2x of the 72 dpi page size
    response = post_files(client_for("owner"), {"minutes.pdf": pdf_pages(2, size=(300, 400))})
    assert response.status_code == 201, response.json()
    pages = pages_of(response.json()["results"][0]["document"])
    assert len(pages) == 2
    assert all((p.width, p.height) == (600, 800) for p in pages)
    assert decoded(pages[1]).convert("RGB").getpixel((300, 400))[1] == 215  # second page's colour, not the first's


def test_utf8_text_becomes_a_born_digital_document(client_for, collection):
    text = "Fellow-Citizens of the Senate — ünïcödé\r\nsecond line\n"
    response = post_files(client_for("curator"), {"address.txt": text.encode()}, metadata='{"language": "en", "year_from": 1790}')
    assert response.status_code == 201, response.json()
    from archive.models import Document

    document = Document.objects.get(pk=response.json()["results"][0]["document"])
    assert (document.kind, document.title, document.language, document.year_from) == ("text", "address.txt", "en", 1790)
    assert document.text.content == text.replace("\r\n", "\n")
    assert document.text.encoding == "utf-8"
    assert document.text.sha256 == hashlib.sha256(text.encode()).hexdigest()


def test_zip_folders_become_documents(client_for, collection):
    archive = zip_bytes({
        "box1/letter-1842/p10.png": image_bytes(size=(50, 50), colour=30),
        "box1/letter-1842/p2.png": image_bytes(size=(60, 50), colour=20),
        "box1/letter-1842/notes.txt": b"transcribed by hand",
        "diary/page1.jpg": image_bytes("JPEG", size=(70, 50)),
        "diary/page2.pdf": pdf_pages(1, size=(72, 72)),
        "loose.tif": tiff_pages(2),
        "__MACOSX/._p1.png": b"junk",
        "inner.zip": zip_bytes({"x.png": image_bytes()}),
        "readme.docx": b"not ours",
    })
    response = post_files(client_for("curator"), {"box.zip": archive})
    assert response.status_code == 201, response.json()
    result = response.json()["results"][0]
    from archive.models import Document

    documents = {d.title: d for d in Document.objects.filter(pk__in=result["documents"])}
    assert set(documents) == {"letter-1842", "diary", "loose.tif", "notes.txt"}
    assert [p.width for p in pages_of(documents["letter-1842"].pk)] == [60, 50]  # natural order: p2 before p10
    assert [p.width for p in pages_of(documents["diary"].pk)] == [70, 72 * 150 // 72]
    assert len(pages_of(documents["loose.tif"].pk)) == 2
    assert documents["notes.txt"].text.content == "transcribed by hand"
    skipped = {s["member"]: s["reason"] for s in result["skipped"]}
    assert "inner.zip" in skipped and "nested" in skipped["inner.zip"]
    assert "readme.docx" in skipped and "__MACOSX/._p1.png" in skipped


def test_identical_images_are_stored_once(client_for, collection):
    from archive.models import ImageBlob, Page

    data = image_bytes(size=(90, 90))
    assert post_files(client_for("curator"), {"one.png": data, "again.png": data}).status_code == 201
    assert Page.objects.count() == 2
    assert ImageBlob.objects.count() == 1
    files = default_storage.listdir(f"blobs/{ImageBlob.objects.get().sha256[:2]}/{ImageBlob.objects.get().sha256[2:4]}")[1]
    assert len(files) == 1


def test_metadata_and_tags_apply_to_each_document(client_for, collection):
    response = post_files(client_for("curator"), {"a.png": image_bytes(), "b.png": image_bytes(colour=90)},
                          metadata='{"creator": "M. Shelley", "tags": ["letters", "1818"]}', title="ignored for two files")
    assert response.status_code == 201
    from archive.models import Document

    documents = Document.objects.filter(pk__in=[r["document"] for r in response.json()["results"]])
    assert sorted(d.title for d in documents) == ["a.png", "b.png"]
    assert {d.creator for d in documents} == {"M. Shelley"}
    assert all(sorted(t.name for t in d.tags.all()) == ["1818", "letters"] for d in documents)


@pytest.mark.parametrize(
    ("name", "data", "pages", "kind"),
    [
        ("scan.png", lambda: image_bytes(), 1, "scan"),
        ("scan.jpeg", lambda: image_bytes("JPEG"), 1, "scan"),
        ("stack.tiff", lambda: tiff_pages(3), 3, "scan"),
        ("book.pdf", lambda: pdf_pages(2), 2, "scan"),
        ("address.txt", lambda: b"To the Congress.", 0, "text"),
        ("batch.zip", lambda: zip_bytes({"folder/a.png": image_bytes(), "folder/b.png": image_bytes(colour=10)}), 2, "scan"),
    ],
)
def test_management_command_round_trip(name, data, pages, kind, tmp_path, users):
    from archive.models import Collection, Document, Membership

    path = tmp_path / name
    path.write_bytes(data())
    out = io.StringIO()
    call_command("ingest", str(path), "--collection", "cli-box", "--create", "--owner", "owner", stdout=out)
    collection = Collection.objects.get(slug="cli-box")
    assert collection.owner == users["owner"]
    assert Membership.objects.get(collection=collection, user=users["owner"]).role == "owner"
    (document,) = Document.objects.filter(collection=collection)
    assert document.kind == kind and document.created_by == users["owner"]
    assert document.pages.count() == pages
    assert out.getvalue().startswith(f"ok     {name}")


def test_management_command_ingests_a_directory_as_one_document(tmp_path, collection):
    folder = tmp_path / "letter-1843"
    folder.mkdir()
    (folder / "p1.png").write_bytes(image_bytes(size=(10, 20)))
    (folder / "p2.png").write_bytes(image_bytes(size=(30, 20)))
    (folder / "link.png").symlink_to(folder / "p1.png")
    call_command("ingest", str(folder), "--collection", "letters", stdout=io.StringIO())
    from archive.models import Document

    (document,) = Document.objects.filter(collection=collection)
    assert document.title == "letter-1843"
    assert [p.width for p in pages_of(document.pk)] == [10, 30]
