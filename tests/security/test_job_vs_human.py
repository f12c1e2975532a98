"""Defect 10 of issue 20: a job never buries a person's newer version; its reading stays as an alternative version."""
from __future__ import annotations

import pytest


@pytest.fixture
def setup(collection, users):
    from archive.models import Document
    from inscription.models import LayerKind
    from inscription.services.layers import get_or_create_layer
    from jobs.models import Job
    from tests.inscription.helpers import fake_model_version, make_lines, make_page

    document = Document.objects.create(collection=collection, title="Letter", created_by=users["owner"])
    page = make_page(document)
    lines = make_lines(page, 3)
    model = fake_model_version()
    layer = get_or_create_layer(document, "htr-test 1.0 (greedy)", LayerKind.MACHINE, model_version=model)
    job = Job.objects.create(kind="transcribe", collection=collection, document=document, state="running")
    return {"document": document, "page": page, "lines": lines, "model": model, "layer": layer, "job": job}


def test_a_correction_written_during_the_job_stays_current(setup, client_for):
    from inscription.models import Inscription
    from inscription.services.inscriptions import LineText, write_pages_lines

    line = setup["lines"][1]
    # The curator corrects line 2 through the API, straight into the machine layer, before the job reaches it.
    response = client_for("curator").post("/api/v1/inscriptions/", {"line": line.pk, "layer": setup["layer"].pk,
                                                                     "text": "Liebe Anna"}, format="json")
    assert response.status_code == 201, response.content
    human_id = response.json()["id"]
    readings = [LineText(line=ln, text=f"machine {n}", confidence=0.5) for n, ln in enumerate(setup["lines"])]
    write_pages_lines(layer=setup["layer"], pages=[(setup["page"], readings)], model_version=setup["model"], job=setup["job"])

    current = {i.line_id: i for i in Inscription.objects.filter(layer=setup["layer"], is_current=True)}
    assert current[line.pk].pk == human_id and current[line.pk].text == "Liebe Anna"
    assert current[setup["lines"][0].pk].text == "machine 0" and current[setup["lines"][2].pk].text == "machine 2"
    alternative = Inscription.objects.get(layer=setup["layer"], line=line, job=setup["job"])
    assert not alternative.is_current and alternative.text == "machine 1" and alternative.supersedes is None
    assert alternative.extra["alternative_to"] == human_id and alternative.version == 2
    # The API shows the machine reading in the line's history, the human one as current.
    history = client_for("viewer").get(f"/api/v1/inscriptions/{human_id}/history/").json()
    assert {h["text"] for h in history} >= {"Liebe Anna", "machine 1"}
    # A redelivered task does not write the page again.
    again = write_pages_lines(layer=setup["layer"], pages=[(setup["page"], readings)], model_version=setup["model"],
                              job=setup["job"])
    assert again[setup["page"].pk] is None
    # The person can still edit on top; versions keep counting past the alternative.
    response = client_for("curator").post("/api/v1/inscriptions/", {"line": line.pk, "layer": setup["layer"].pk,
                                                                     "text": "Liebe Anna,"}, format="json")
    assert response.status_code == 201 and response.json()["version"] == 3


def test_a_human_version_older_than_the_job_is_superseded_as_before(setup, users):
    from django.utils import timezone

    from inscription.models import Inscription
    from inscription.services.inscriptions import LineText, create_inscription, write_pages_lines
    from jobs.models import Job

    line = setup["lines"][0]
    create_inscription(layer=setup["layer"], text="old correction", line=line, user=users["curator"])
    later = Job.objects.create(kind="transcribe", collection=setup["document"].collection, document=setup["document"],
                               state="running", created_at=timezone.now())
    Job.objects.filter(pk=later.pk).update(created_at=timezone.now())
    later.refresh_from_db()
    readings = [LineText(line=ln, text=f"machine {n}") for n, ln in enumerate(setup["lines"])]
    write_pages_lines(layer=setup["layer"], pages=[(setup["page"], readings)], model_version=setup["model"], job=later)
    assert Inscription.objects.get(layer=setup["layer"], line=line, is_current=True).text == "machine 0"


def test_a_document_level_job_reading_does_not_bury_a_newer_summary(setup, users):
    from inscription.models import Inscription
    from inscription.services.inscriptions import create_inscription

    document = setup["document"]
    human = create_inscription(layer=setup["layer"], text="by hand", document=document, user=users["curator"])
    machine = create_inscription(layer=setup["layer"], text="by machine", document=document, model_version=setup["model"],
                                 job=setup["job"])
    assert not machine.is_current and machine.extra["alternative_to"] == human.pk
    assert Inscription.objects.get(layer=setup["layer"], target_key=f"document:{document.pk}", is_current=True).pk == human.pk
