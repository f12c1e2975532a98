"""IIIF import from a local http.server on 127.0.0.1 (in a thread): P3 and P2.1 manifests, limits, wrong input."""
from __future__ import annotations

import json
import struct
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import png_bytes
from tests.formats.helpers import import_iiif_job, media_files, row_counts


def declared_huge_png(width: int = 60000, height: int = 60000) -> bytes:
    """A tiny PNG whose header claims width × height pixels (a decompression bomb's shape)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 100)) + chunk(b"IEND", b""))


class Server:
    """Routes path → (status, content type, body, extra headers); records what was requested."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, tuple[int, str, bytes, dict]] = {}
        self.requested: list[str] = []
        routes, requested = self.routes, self.requested

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server API
                requested.append(self.path)
                status, ctype, body, headers = routes.get(self.path, (404, "text/plain", b"not found", {}))
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                if "Content-Length" not in headers:
                    self.send_header("Content-Length", str(len(body)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.base = f"http://{host}:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def add(self, path: str, body: bytes | dict, ctype: str = "application/json", status: int = 200, **headers) -> str:
        if isinstance(body, dict):
            body = json.dumps(body).encode()
        self.routes[path] = (status, ctype, body, headers)
        return self.base + path

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(settings):
    settings.IIIF_FETCH_ALLOW = ["127.0.0.1"]  # loopback is refused unless allowed (tests/security/test_ssrf.py)
    srv = Server()
    yield srv
    srv.close()


def manifest_v3(base: str, images: list[str], annotations_external: bool = False) -> dict:
    canvases = []
    for n, image in enumerate(images, 1):
        cid = f"{base}/iiif/canvas/{n}"
        canvas = {
            "id": cid, "type": "Canvas", "label": {"none": [f"f. {n}r"]}, "width": 1200, "height": 800,
            "items": [{"id": f"{cid}/page", "type": "AnnotationPage", "items": [{
                "id": f"{cid}/image", "type": "Annotation", "motivation": "painting", "target": cid,
                "body": {"id": base + image, "type": "Image", "format": "image/png", "width": 1200, "height": 800}}]}],
        }
        lines = {"id": f"{base}/iiif/lines/{n}", "type": "AnnotationPage", "items": [
            {"id": f"{cid}/l1", "type": "Annotation", "motivation": "supplementing", "target": f"{cid}#xywh=100,100,1000,80",
             "body": {"type": "TextualBody", "value": f"Erste Zeile {n}", "format": "text/plain"}},
            {"id": f"{cid}/l2", "type": "Annotation", "motivation": "supplementing",
             "target": {"type": "SpecificResource", "source": cid,
                        "selector": {"type": "FragmentSelector", "value": "xywh=100,300,600,80"}},
             "body": {"type": "TextualBody", "value": "zweite Zeile"}},
            {"id": f"{cid}/c", "type": "Annotation", "motivation": "commenting", "target": cid,
             "body": {"type": "TextualBody", "value": "not a transcription"}},
        ]}
        canvas["annotations"] = [{"id": lines["id"], "type": "AnnotationPage"}] if annotations_external else [lines]
        canvases.append((canvas, lines))
    return {
        "@context": "http://iiif.io/api/presentation/3/context.json", "id": f"{base}/iiif/manifest.json", "type": "Manifest",
        "label": {"de": ["Brief aus Wien"]}, "summary": {"en": ["A letter"]},
        "metadata": [{"label": {"en": ["Creator"]}, "value": {"none": ["Marie K."]}},
                     {"label": {"en": ["Date"]}, "value": {"none": ["1921"]}}],
        "items": [c for c, _ in canvases],
    }, [lines for _, lines in canvases]


def test_import_presentation_3_with_external_annotation_pages(collection, client_for, server, users):
    from archive.models import Document
    from inscription.models import Inscription

    server.add("/img/1.png", png_bytes(600, 400), "image/png")
    server.add("/img/2.png", png_bytes(600, 400, 10), "image/png")
    data, pages = manifest_v3(server.base, ["/img/1.png", "/img/2.png"], annotations_external=True)
    for n, page in enumerate(pages, 1):
        server.add(f"/iiif/lines/{n}", page)
    url = server.add("/iiif/manifest.json", data)
    job = import_iiif_job(client_for("curator"), {"url": url})
    assert job.state == "succeeded", job.error
    assert job.result["pages"] == 2 and job.result["lines"] == 4 and job.result["iiif_version"] == 3
    assert job.progress_done == job.progress_total == 2  # one step per fetched image
    doc = Document.objects.get(pk=job.result["document"])
    assert (doc.title, doc.creator, doc.date, doc.description, doc.source) == ("Brief aus Wien", "Marie K.", "1921", "A letter", url)
    page = doc.pages.get(order=0)
    assert page.iiif_source == server.base + "/img/1.png" and page.label == "f. 1r" and (page.width, page.height) == (600, 400)
    lines = list(page.lines.order_by("order"))
    assert lines[0].polygon == [[50, 50], [550, 50], [550, 90], [50, 90]]  # canvas 1200×800 → image 600×400
    assert lines[1].polygon == [[50, 150], [350, 150], [350, 190], [50, 190]]
    ins = Inscription.objects.get(line=lines[0])
    assert ins.text == "Erste Zeile 1" and ins.created_by == users["curator"]
    assert ins.layer.kind == "import" and ins.layer.parameters["source"] == url


def test_import_presentation_2_uploaded_file(collection, client_for, server):
    from archive.models import Document
    from inscription.models import Inscription

    img = server.add("/v2/img.png", png_bytes(300, 200), "image/png")
    canvas = f"{server.base}/v2/canvas/1"
    lines = server.add("/v2/list/1", {"@context": "http://iiif.io/api/presentation/2/context.json", "@type": "sc:AnnotationList",
                                      "resources": [{"@type": "oa:Annotation", "motivation": "sc:painting",
                                                     "resource": {"@type": "cnt:ContentAsText", "chars": "Hello world"},
                                                     "on": f"{canvas}#xywh=10,20,280,30"}]})
    manifest = {"@context": "http://iiif.io/api/presentation/2/context.json", "@id": f"{server.base}/v2/manifest", "@type": "sc:Manifest",
                "label": "Old manifest", "sequences": [{"@type": "sc:Sequence", "canvases": [{
                    "@id": canvas, "@type": "sc:Canvas", "label": "p. 1", "width": 300, "height": 200,
                    "images": [{"@type": "oa:Annotation", "motivation": "sc:painting", "on": canvas,
                                "resource": {"@id": img, "@type": "dctypes:Image"}}],
                    "otherContent": [{"@id": lines, "@type": "sc:AnnotationList"}]}]}]}
    upload = SimpleUploadedFile("manifest.json", json.dumps(manifest).encode(), content_type="application/json")
    job = import_iiif_job(client_for("owner"), {"manifest": upload}, fmt="multipart")
    assert job.state == "succeeded", job.error
    doc = Document.objects.get(pk=job.result["document"])
    assert doc.title == "Old manifest" and job.result["iiif_version"] == 2
    line = doc.pages.get().lines.get()
    assert line.polygon == [[10, 20], [290, 20], [290, 50], [10, 50]]
    assert Inscription.objects.get(line=line).text == "Hello world"


def test_import_iiif_command(collection, server):
    from django.core.management import call_command

    from archive.models import Document

    server.add("/img/1.png", png_bytes(600, 400), "image/png")
    data, _ = manifest_v3(server.base, ["/img/1.png"])
    url = server.add("/iiif/manifest.json", data)
    call_command("import_iiif", "letters", url)
    assert Document.objects.get(title="Brief aus Wien").pages.get().lines.count() == 2


@pytest.mark.parametrize("case,code", [
    ("declared_large", "remote_too_large"),
    ("streamed_large", "remote_too_large"),
    ("declared_huge_pixels", "decompression_bomb"),
    ("html_not_image", "not_an_image"),
    ("missing", "remote_error"),
])
def test_bad_images_are_rejected(collection, client_for, server, settings, case, code):
    settings.IIIF_MAX_IMAGE_BYTES = 200_000
    server.add("/img/ok.png", png_bytes(600, 400), "image/png")
    if case == "declared_large":
        server.add("/img/bad.png", png_bytes(), "image/png", **{"Content-Length": str(10**9)})
    elif case == "streamed_large":  # no Content-Length: the cap applies while reading
        server.add("/img/bad.png", png_bytes() + b"\0" * 400_000, "image/png", **{"Content-Length": ""})
    elif case == "declared_huge_pixels":
        server.add("/img/bad.png", declared_huge_png(), "image/png")
    elif case == "html_not_image":
        server.add("/img/bad.png", b"<html>login</html>", "text/html")
    data, _ = manifest_v3(server.base, ["/img/ok.png", "/img/bad.png"])
    url = server.add("/iiif/manifest.json", data)
    before, files = row_counts(), media_files(settings)
    job = import_iiif_job(client_for("curator"), {"url": url})
    assert job.state == "failed" and job.result["error"]["code"] == code, (job.error, job.result)
    assert job.error == job.result["error"]["message"]  # the import's own message, no traceback
    assert row_counts() == before and media_files(settings) == files


@pytest.mark.parametrize("body,code", [
    ({"hello": "world"}, "not_iiif"),
    ({"@context": "http://iiif.io/api/presentation/3/context.json", "id": "x", "type": "Collection", "items": []}, "not_iiif"),
    (b"<html>not json</html>", "not_iiif"),
])
def test_not_a_manifest_is_rejected(collection, client_for, server, body, code):
    url = server.add("/m.json", body, "application/json")
    before = row_counts()
    job = import_iiif_job(client_for("curator"), {"url": url})
    assert job.state == "failed" and job.result["error"]["code"] == code
    assert "IIIF" in job.result["error"]["message"] or "JSON" in job.result["error"]["message"]
    assert row_counts() == before


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://x", "not a url"])
def test_only_http_urls_are_fetched(collection, client_for, url):
    response = client_for("curator").post("/api/v1/collections/letters/import/iiif/", {"url": url}, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "bad_url"


@pytest.mark.parametrize("location", ["file:///etc/passwd", "ftp://127.0.0.1/manifest.json"])
def test_redirect_to_another_scheme_is_refused(collection, client_for, server, location):
    """A redirect to another scheme is a fetch failure like any other (one generic error, remote_error)."""
    url = server.add("/redirect", b"", "text/plain", status=302, Location=location)
    job = import_iiif_job(client_for("curator"), {"url": url})
    assert job.state == "failed" and job.result["error"]["code"] == "remote_error"
