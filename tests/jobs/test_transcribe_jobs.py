"""Transcribe jobs on a REAL Celery worker: end to end, worker killed mid-way, cancel, provenance."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.db.models import Count, Q

from inscription.models import Inscription, Layer
from inscription.services.job_params import card_decoder
from jobs.models import Job, JobState
from tests.jobs.conftest import REPO, add_pages, final_job, job_state, render_pages, wait_for

pytestmark = [pytest.mark.jobs, pytest.mark.django_db(transaction=True)]


def page_coverage(job: Job) -> dict[int, tuple[int, int]]:
    """page id → (lines on the page, current inscriptions of those lines written by the job)."""
    from archive.models import Page

    out = {}
    for page in Page.objects.filter(document=job.document).annotate(n=Count("lines")):
        written = Inscription.objects.filter(job=job, page=page, line__isnull=False, is_current=True).count()
        out[page.pk] = (page.n, written)
    return out


def assert_one_current_per_line(layer: Layer) -> None:
    rows = Inscription.objects.filter(layer=layer).values("target_key").annotate(current=Count("id", filter=Q(is_current=True)))
    for row in rows:
        assert row["current"] == 1, row


def test_end_to_end_transcription_equals_the_recognizer_cli(start_worker, client_for, scan_document, htr_model):
    [page] = add_pages(scan_document, render_pages(1, 5, seed=11), with_lines=False)  # no lines: the job segments first
    worker = start_worker("e2e")
    client = client_for("curator")
    response = client.post("/api/v1/jobs/", {"kind": "transcribe", "collection": scan_document.collection.slug,
                                             "document": scan_document.pk, "parameters": {"model": htr_model.pk}})
    assert response.status_code == 202
    url = response["Location"]
    body = wait_for(lambda: (b := client.get(url).json())["state"] in ("succeeded", "failed", "cancelled") and b,
                    timeout=600, interval=0.5, what="job to finish", worker=worker)
    assert body["state"] == "succeeded", body["error"]
    assert body["worker_host"] and body["device"] in ("cpu", "cuda") and body["attempts"] == 1
    assert body["progress_done"] == body["progress_total"] == 1

    lines = list(page.lines.order_by("order"))
    assert lines and all(ln.source == "machine" and ln.job_id == body["id"] for ln in lines)
    texts = [Inscription.objects.get(line=ln, is_current=True).text for ln in lines]

    # No decoder asked: the job reads with the card's default decoder (beam+lm for the shipped model), as the CLI does.
    decoding = card_decoder(htr_model)
    assert decoding == ((htr_model.card.get("decoding") or {}).get("default") or "greedy")
    cli = subprocess.run([sys.executable, "-m", "models_ml", "transcribe", "--page", "--model", htr_model.path,
                          page.image.file.path], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert cli.returncode == 0, cli.stderr
    expected = [line["text"] for line in json.loads(cli.stdout.strip().splitlines()[-1])["lines"]]
    assert texts == expected
    layer = Layer.objects.get(pk=body["result"]["layers"][0])
    assert layer.name == f"{htr_model.name} {htr_model.version} ({decoding})" and layer.model_version_id == htr_model.pk


def test_provenance_and_lifecycle_of_a_transcribe_job(start_worker, scan_document, htr_model, users):
    from jobs.services.jobs import create_job
    from models_ml.registry import WEIGHTS, sha256_file

    pages = add_pages(scan_document, render_pages(2, 3, seed=3))
    worker = start_worker("prov")
    job = create_job("transcribe", scan_document.collection, document=scan_document,
                     params={"model": htr_model.pk, "decoder": "greedy"}, user=users["curator"])
    job = final_job(job.pk, worker)
    assert job.state == JobState.SUCCEEDED, job.error
    assert job.started_at and job.finished_at and job.worker_host and job.attempts == 1
    assert job.result["pages"] == 2 and job.result["lines"] == sum(p.lines.count() for p in pages)
    machine = Inscription.objects.filter(job=job)
    assert machine.count() == job.result["lines"] > 0
    for ins in machine.select_related("model_version"):
        model = ins.model_version
        assert model is not None and ins.created_by_id is None
        assert sha256_file(Path(model.path) / WEIGHTS) == model.sha256
        assert ins.char_confidences is not None and len(ins.char_confidences) == len(ins.text)
        assert ins.parameters == {"decoder": "greedy", "lm": False}
    assert all(lines == written for lines, written in page_coverage(job).values())


def test_a_killed_worker_loses_no_work_and_writes_no_duplicates(start_worker, scan_document, htr_model, users):
    from jobs.services.jobs import create_job

    add_pages(scan_document, render_pages(10, 6, seed=5, width=1100))
    first = start_worker("doomed")
    job = create_job("transcribe", scan_document.collection, document=scan_document,
                     params={"model": htr_model.pk, "pages_per_batch": 1, "batch_size": 8}, user=users["curator"])
    wait_for(lambda: job_state(job.pk).progress_done >= 1, timeout=600, interval=0.05, what="first page", worker=first)
    first.kill()
    seen = job_state(job.pk)
    assert seen.state == JobState.RUNNING, "the job finished before the worker could be killed; give it more pages"
    assert 1 <= seen.progress_done < seen.progress_total == 10

    second = start_worker("rescuer")
    job = final_job(job.pk, second)
    assert job.state == JobState.SUCCEEDED, job.error
    assert job.attempts >= 2 and job.progress_done == 10
    coverage = page_coverage(job)
    assert len(coverage) == 10 and all(lines == written and lines > 0 for lines, written in coverage.values())
    [layer] = Layer.objects.filter(document=scan_document)
    # exactly one inscription per line: the page written before the kill was not written again
    assert Inscription.objects.filter(layer=layer).count() == sum(lines for lines, _ in coverage.values())
    assert_one_current_per_line(layer)


def test_cancel_stops_within_a_batch_and_leaves_no_half_page(start_worker, client_for, scan_document, htr_model):
    add_pages(scan_document, render_pages(10, 6, seed=9, width=1100))
    worker = start_worker("cancel")
    client = client_for("curator")
    response = client.post("/api/v1/jobs/", {"kind": "transcribe", "collection": scan_document.collection.slug,
                                             "document": scan_document.pk,
                                             "parameters": {"model": htr_model.pk, "pages_per_batch": 1}})
    job_id = response.json()["id"]
    wait_for(lambda: job_state(job_id).progress_done >= 1, timeout=600, interval=0.05, what="first page", worker=worker)
    done_at_cancel = job_state(job_id).progress_done
    cancel = client.post(f"/api/v1/jobs/{job_id}/cancel/")
    assert cancel.status_code == 202
    job = final_job(job_id, worker)
    assert job.state == JobState.CANCELLED and job.finished_at
    coverage = page_coverage(job)
    written_pages = sum(1 for _, written in coverage.values() if written)
    assert all(written in (0, lines) for lines, written in coverage.values())  # all of a page or none of it
    # the page in flight may finish; the next batch never starts
    assert done_at_cancel <= written_pages <= done_at_cancel + 2 < 10
