"""Summarise job on a REAL worker: a summary inscription that records its source layer, versions and lines."""
from __future__ import annotations

import pytest

from inscription.models import Inscription
from jobs.models import JobState
from tests.jobs.conftest import final_job

pytestmark = [pytest.mark.jobs, pytest.mark.django_db(transaction=True)]

SENTENCES = [
    "The war ended in the spring and my brother came home in May.",
    "He did not speak of the camps for many years.",
    "Our mother kept every letter he had written in a tin box.",
    "In 1962 the village built a memorial by the church.",
    "Nobody from our family went to the unveiling.",
    "Years later he wrote down what he remembered for his grandchildren.",
]


def shipped_summariser():
    from models_ml.summarise.store import DEFAULT_MODEL_DIR, WEIGHTS

    if not (DEFAULT_MODEL_DIR / WEIGHTS).exists():
        pytest.skip("the summariser is not shipped in models_ml/store yet")
    return DEFAULT_MODEL_DIR


def test_summary_links_its_sentences_to_the_transcribed_lines(start_worker, scan_document, users):
    from inscription.services.inscriptions import create_inscription
    from inscription.services.layers import get_or_create_layer
    from jobs.services.jobs import create_job
    from tests.inscription.helpers import make_lines, make_page

    shipped_summariser()
    lines = make_lines(make_page(scan_document), len(SENTENCES))
    layer = get_or_create_layer(scan_document, "ground truth")
    written = {line.pk: create_inscription(layer=layer, line=line, text=text, user=users["curator"])
               for line, text in zip(lines, SENTENCES, strict=True)}
    worker = start_worker("summarise")
    job = create_job("summarise", scan_document.collection, document=scan_document, user=users["curator"],
                     params={"layer": layer.pk, "sentences": 2})
    job = final_job(job.pk, worker)
    assert job.state == JobState.SUCCEEDED, job.error
    summary = Inscription.objects.get(pk=job.result["inscription"])
    assert summary.kind == "summary" and summary.target_key == f"document:{scan_document.pk}" and summary.model_version_id
    assert summary.layer.kind == "summary" and summary.job_id == job.pk
    assert summary.extra["source_layer"] == layer.pk
    picked = summary.extra["sentences"]
    assert len(picked) == 2
    for sentence in picked:
        assert sentence["text"] in SENTENCES
        [source] = sentence["sources"]
        assert written[source["line"]].text == sentence["text"] and source["inscription"] == written[source["line"]].pk
        assert sentence["text"] in summary.text
