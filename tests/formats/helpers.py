"""Counting rows and files, so hostile-input tests can prove nothing was half-imported."""
from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"


def row_counts() -> dict[str, int]:
    from archive.models import Document, ImageBlob, Line, Page, Region
    from inscription.models import Inscription, Layer

    return {m.__name__: m.objects.count() for m in (Document, Page, ImageBlob, Region, Line, Layer, Inscription)}


def media_files(settings) -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def import_iiif_job(client, data, fmt: str = "json", slug: str = "letters"):
    """POST a IIIF import: it answers 202 with an import job, which is run here (the runner's lifecycle without
    Celery; tests/archive/test_ingest_jobs.py runs it in a real worker) and returned finished: ``result`` is the
    import's summary, or ``result["error"]`` (code, message) when it failed."""
    response = client.post(f"/api/v1/collections/{slug}/import/iiif/", data, format=fmt)
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["kind"] == "import" and body["url"].endswith(f"/api/v1/jobs/{body['job']}/")
    assert response["Location"] == body["url"]
    return run_iiif_import_job(body["job"])


def run_iiif_import_job(job_id: int):
    """Run a queued import job here, through the runner (``execute``); returns the finished Job."""
    from exchange.tasks import import_iiif
    from jobs.models import Job
    from jobs.runner import execute

    execute(job_id, import_iiif.body)
    return Job.objects.get(pk=job_id)
