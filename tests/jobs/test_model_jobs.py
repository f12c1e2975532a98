"""Fine-tune and evaluate jobs on a REAL Celery worker: curated lines in, a registered ModelVersion out."""
from __future__ import annotations

from pathlib import Path

import pytest

from jobs.models import JobState, ModelVersion
from tests.jobs.conftest import add_pages, final_job, render_pages

pytestmark = [pytest.mark.jobs, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def corrected_layer(scan_document, users):
    """A ground-truth layer where a curator typed the true text of every line of two synthetic pages."""
    from inscription.services.inscriptions import create_inscription
    from inscription.services.layers import get_or_create_layer

    rendered = render_pages(2, 5, seed=21)
    pages = add_pages(scan_document, rendered)
    layer = get_or_create_layer(scan_document, "ground truth")
    for page, (_, truth) in zip(pages, rendered, strict=True):
        for line, gt in zip(page.lines.order_by("order"), truth, strict=True):
            create_inscription(layer=layer, line=line, text=gt.text, user=users["curator"])
    return layer


def test_fine_tune_registers_a_child_model_with_metrics_and_its_job(start_worker, corrected_layer, htr_model, users,
                                                                     settings, client_for):
    from inscription.tasks import is_held_out
    from jobs.services.jobs import create_job
    from models_ml.registry import WEIGHTS, sha256_file

    worker = start_worker("train")
    job = create_job("train", corrected_layer.document.collection, document=corrected_layer.document, user=users["curator"],
                     params={"layer": corrected_layer.pk, "model": htr_model.pk, "epochs": 1, "name": "letters-ft"})
    job = final_job(job.pk, worker)
    assert job.state == JobState.SUCCEEDED, job.error
    child = ModelVersion.objects.get(pk=job.result["model_version"])
    assert child.parent_id == htr_model.pk and child.training_job_id == job.pk and child.name == "letters-ft"
    assert Path(child.path).parent == Path(settings.MODEL_STORE)
    assert sha256_file(Path(child.path) / WEIGHTS) == child.sha256 != htr_model.sha256
    assert child.metrics and child.card["parent"]["sha256"] == htr_model.sha256
    plot = client_for("viewer").get(f"/api/v1/models/{child.pk}/plot/")  # the per-epoch curve the job drew
    assert plot.status_code == 200 and b"".join(plot.streaming_content).startswith(b"\x89PNG")
    # the hold-out is deterministic: the same lines every time
    line_ids = list(corrected_layer.inscriptions.values_list("line_id", flat=True))
    held = [i for i in line_ids if is_held_out(i, 5)]
    assert job.result["validation_lines"] == (len(held) or 1)
    assert job.result["train_lines"] + job.result["validation_lines"] == len(line_ids)
    assert job.progress_done == job.progress_total == 1


def test_evaluate_reports_cer_of_a_model_on_curated_lines(start_worker, corrected_layer, htr_model, users):
    from jobs.services.jobs import create_job

    worker = start_worker("eval")
    job = create_job("evaluate", corrected_layer.document.collection, user=users["curator"],
                     params={"layer": corrected_layer.pk, "model": htr_model.pk})
    job = final_job(job.pk, worker)
    assert job.state == JobState.SUCCEEDED, job.error
    assert job.result["lines"] == 10 and job.result["model_version"] == htr_model.pk
    assert 0.0 <= job.result["cer"] and job.device == "cpu"


def test_fine_tune_without_curated_lines_fails_with_a_clear_error(start_worker, scan_document, htr_model, users):
    from inscription.services.layers import get_or_create_layer
    from jobs.services.jobs import create_job

    empty = get_or_create_layer(scan_document, "empty ground truth")
    worker = start_worker("train-empty")
    job = create_job("train", scan_document.collection, user=users["curator"], params={"layer": empty.pk, "epochs": 1})
    job = final_job(job.pk, worker)
    assert job.state == JobState.FAILED and "needs at least 2" in job.error
    assert ModelVersion.objects.count() == 1  # nothing registered
