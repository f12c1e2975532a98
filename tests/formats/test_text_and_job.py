"""Plain text in reading order, and the export job end to end with a real Celery worker process."""
from __future__ import annotations

import io
import json
import zipfile

import pytest

from tests.jobs.conftest import final_job, start_worker  # noqa: F401 - the real-worker fixture


def test_page_and_document_text(sample_document, client_for):
    client = client_for("viewer")
    page = sample_document.pages.order_by("order").first()
    assert client.get(f"/api/v1/pages/{page.pk}/text/").content.decode() == "Ma chère Anna,\nje t'écris de Lyon\noù il pleut.\n"
    machine = sample_document.layers.get(kind="machine")
    text = client.get(f"/api/v1/documents/{sample_document.pk}/text/?layer={machine.name}").content.decode()
    assert text == "Ma chere Anna,\nje t'ecris de Lyon\noù il pleut.\n\nNous pensons\nà toi chaque jour.\nMarie\n"


def test_document_page_xml_zip_and_alto(sample_document, client_for):
    from exchange.formats import xmlsafe

    client = client_for("viewer")
    response = client.get(f"/api/v1/documents/{sample_document.pk}/page-xml/")
    assert response["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as zf:
        assert zf.namelist() == ["page/0001.xml", "page/0002.xml", "alto.xml", "mets.xml"]  # METS beside ALTO/PAGE
        for name in zf.namelist()[:2]:
            assert xmlsafe.validation_errors("page", zf.read(name)) == []
        assert xmlsafe.validation_errors("alto", zf.read("alto.xml")) == []
    alto = client.get(f"/api/v1/documents/{sample_document.pk}/alto/").content
    assert xmlsafe.validation_errors("alto", alto) == []


@pytest.mark.jobs
def test_export_job_runs_on_a_real_worker(annotated_document, client_for, start_worker):  # noqa: F811
    worker = start_worker("formats")
    response = client_for("viewer").post("/api/v1/collections/letters/export/")
    assert response.status_code == 202
    job = final_job(response.json()["job"], worker)
    assert job.state == "succeeded", job.error or worker.output()[-3000:]
    assert job.progress_total == job.progress_done > 0 and job.kind == "export"
    assert job.result["documents"] == 1 and job.result["file"].endswith(".zip")
    download = client_for("viewer").get(response.json()["download"].replace("http://testserver", ""))
    assert download.status_code == 200
    with zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content))) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        assert len(manifest["archive"]["documents"][0]["layers"]) == 2
        assert {f["path"] for f in manifest["files"]} == set(zf.namelist()) - {"manifest.json"}
    assert client_for("stranger").get(response.json()["download"].replace("http://testserver", "")).status_code == 404
