"""Defects 7 and 8 of issue 20: each hostile input is a 400 in the documented error shape with nothing stored,
and a server error under /api/ is JSON that promises nothing it cannot know."""
from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import png_bytes
from tests.formats.helpers import FIXTURES, media_files, row_counts, run_iiif_import_job
from tests.formats.test_iiif_import import Server, manifest_v3


def _error(response) -> dict:
    body = response.json()
    assert set(body) == {"error"} and {"code", "message", "detail"} <= set(body["error"]), body
    return body["error"]


@pytest.mark.parametrize("metadata", ["null", "[1]", '"text"', "1", '{"year_from": 9223372036854775808}',
                                      '{"year_from": 99999999999999999999}', '{"year_to": -9223372036854775809}'])
def test_ingest_bad_metadata_is_a_400(collection, client_for, settings, metadata):
    before, files = row_counts(), media_files(settings)
    response = client_for("curator").post(
        f"/api/v1/collections/{collection.slug}/ingest/",
        {"files": [SimpleUploadedFile("a.png", png_bytes())], "metadata": metadata}, format="multipart")
    assert response.status_code == 400, response.content
    _error(response)
    assert row_counts() == before and media_files(settings) == files


def _pdf_with_count(declared: int) -> bytes:
    """A one-page PDF whose page tree claims ``declared`` pages (offsets recomputed so it opens)."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count %d >>" % declared,
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] >>"]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % n + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def test_pdf_whose_count_exceeds_its_pages_is_a_400(collection, client_for, settings):
    before, files = row_counts(), media_files(settings)
    response = client_for("curator").post(
        f"/api/v1/collections/{collection.slug}/ingest/",
        {"files": [SimpleUploadedFile("lying.pdf", _pdf_with_count(5), content_type="application/pdf")]}, format="multipart")
    assert response.status_code == 400, response.content
    assert _error(response)["code"] == "corrupt_pdf"
    assert row_counts() == before and media_files(settings) == files


@pytest.mark.parametrize("attr,value", [("HPOS", "1e308"), ("WIDTH", "NaN"), ("HPOS", "inf"), ("VPOS", "-1e308")])
def test_alto_with_absurd_numbers_is_a_400(collection, client_for, settings, attr, value):
    xml = (FIXTURES / "kraken_alto.xml").read_text()
    xml = xml.replace('<TextLine ID="eSc_line_b74a1c" TAGREFS="TYPE_1" BASELINE="40 90 300 88 560 91" HPOS="40" VPOS="50" '
                      'WIDTH="520"', '<TextLine ID="eSc_line_b74a1c" TAGREFS="TYPE_1" BASELINE="40 90 300 88 560 91" '
                      + ' '.join(f'{a}="{value if a == attr else v}"' for a, v in (("HPOS", 40), ("VPOS", 50), ("WIDTH", 520))))
    xml = xml.replace('<Polygon POINTS="40 50 560 52 560 100 40 98"/>', "")
    assert f'{attr}="{value}"' in xml
    before, files = row_counts(), media_files(settings)
    response = client_for("owner").post(
        f"/api/v1/collections/{collection.slug}/import/xml/",
        {"xml": [SimpleUploadedFile("scan_0042.xml", xml.encode())], "images": [SimpleUploadedFile("SCAN_0042.PNG", png_bytes(600, 400))]},
        format="multipart")
    assert response.status_code in (201, 400), response.content  # never a 500
    if response.status_code == 400:
        assert _error(response)["code"] in ("bad_geometry", "bad_alto")
        assert row_counts() == before and media_files(settings) == files
    else:  # the absurd value was ignored (a NaN width falls back to the image); geometry stays on the page
        from archive.models import Line

        for line in Line.objects.all():
            assert all(0 <= x <= 600 and 0 <= y <= 400 for x, y in line.polygon)


@pytest.fixture
def iiif(settings):
    settings.IIIF_FETCH_ALLOW = ["127.0.0.1"]
    srv = Server()
    srv.add("/img/1.png", png_bytes(600, 400), "image/png")
    yield srv
    srv.close()


def _mangle_requiredstatement(m):
    m["requiredStatement"] = "x"


def _mangle_annotations(m):
    m["items"][0]["annotations"] = [1]


def _mangle_xywh_nines(m):
    m["items"][0]["annotations"][0]["items"][0]["target"] = m["items"][0]["id"] + "#xywh=" + "9" * 400 + ",1,2,3"


def _mangle_xywh_dots(m):
    m["items"][0]["annotations"][0]["items"][0]["target"] = m["items"][0]["id"] + "#xywh=1.2.3,1,2,3"


def _mangle_deep_label(m):
    label: object = "x"
    for _ in range(450):  # 900 levels: 450 maps, each holding a list
        label = {"none": [label]}
    m["label"] = label


def _mangle_metadata(m):
    m["metadata"] = [1, "x", {"label": 3, "value": [None]}]


def _mangle_items(m):
    m["items"] = [1]


@pytest.mark.parametrize("mangle", [_mangle_requiredstatement, _mangle_annotations, _mangle_xywh_nines, _mangle_xywh_dots,
                                    _mangle_deep_label, _mangle_metadata, _mangle_items])
def test_malformed_iiif_is_a_400_or_imports_cleanly(collection, client_for, settings, iiif, mangle):
    manifest, _ = manifest_v3(iiif.base, ["/img/1.png"])
    mangle(manifest)
    raw = json.dumps(manifest).encode()
    before, files = row_counts(), media_files(settings)
    response = client_for("curator").post(f"/api/v1/collections/{collection.slug}/import/iiif/",
                                          {"manifest": SimpleUploadedFile("m.json", raw)}, format="multipart")
    assert response.status_code in (202, 400), response.content
    if response.status_code == 400:  # refused at the edge (not JSON, invalid text, nested too deep)
        _error(response)
        assert row_counts() == before and media_files(settings) == files
        return
    job = run_iiif_import_job(response.json()["job"])
    assert job.state in ("succeeded", "failed"), job.error
    if job.state == "failed":  # bad input the job found: its code and message, and nothing stored
        assert job.result["error"]["code"] and job.result["error"]["message"] == job.error
        assert "Traceback" not in job.error
        assert row_counts() == before and media_files(settings) == files


@pytest.mark.parametrize("url", [
    "/api/v1/documents/?collection_id=99999999999999999999",
    "/api/v1/jobs/?document=99999999999999999999",
    "/api/v1/jobs/?collection=99999999999999999999",
    "/api/v1/inscriptions/?line=99999999999999999999",
    "/api/v1/pages/?document=99999999999999999999",
    "/api/v1/lines/?page=99999999999999999999",
    "/api/v1/documents/?year_from=99999999999999999999",
    "/api/v1/documents/99999999999999999999/",
    "/api/v1/texts/?document=-99999999999999999999",
])
def test_id_filters_past_64_bits_are_a_400_or_empty(collection, client_for, url):
    response = client_for("owner").get(url)
    assert response.status_code in (200, 400, 404), (url, response.content[:300])
    if response.status_code == 200:
        assert response.json()["count"] == 0
    else:
        _error(response)


def test_api_server_error_is_json_with_debug_off(collection, client_for, settings, monkeypatch):
    """An unhandled exception in an API view answers the documented JSON shape, not the HTML page."""
    from archive.api.views.collections import CollectionViewSet

    def boom(self, request, *args, **kwargs):
        raise RuntimeError("injected fault")

    settings.DEBUG = False
    monkeypatch.setattr(CollectionViewSet, "list", boom)
    client = client_for("owner")
    client.raise_request_exception = False
    response = client.get("/api/v1/collections/")
    assert response.status_code == 500 and response["Content-Type"].startswith("application/json")
    error = _error(response)
    assert error["code"] == "server_error" and "half" not in error["message"] and "injected" not in error["message"]
    page = client.get("/api/v1/no-such-endpoint/")
    assert page.status_code == 404 and _error(page)["code"] == "not_found"


def test_html_500_page_promises_nothing(client, settings):
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert "half-saved" not in html and "nothing was" not in html


def test_batch_document_ids_past_64_bits_are_a_400(collection, client_for):
    """Found by bench/fuzz.sh on SQLite: an id past 2**63 in a batch's documents overflowed SQLite (500)."""
    from inscription.services.batches import start_batch
    from jobs.models import Job
    from palimpsest.errors import InputError

    huge = 71783198710152005726643328030454317056
    response = client_for("curator").post(f"/api/v1/collections/{collection.slug}/batch/",
                                          {"kind": "transcribe", "documents": [1, huge]}, format="json")
    assert response.status_code == 400, response.content
    _error(response)
    with pytest.raises(InputError) as refused:  # the service refuses it too (the commands and pages call it)
        start_batch("transcribe", collection, user=None, documents=[huge])
    assert refused.value.code == "bad_parameters" and not Job.objects.exists()
