"""Re-transcribing only the lines whose shape changed, on a REAL Celery worker (issue 16)."""
from __future__ import annotations

import pytest

from inscription.models import AnnotationVersion, Inscription
from tests.jobs.conftest import add_pages, final_job, render_pages

pytestmark = [pytest.mark.jobs, pytest.mark.django_db(transaction=True)]


def test_only_changed_lines_are_read_again(start_worker, client_for, scan_document, htr_model, users):
    from archive.services.layout.lines import edit_line
    from archive.services.layout.split_merge import split_line
    from inscription.services.annotations import create_annotation

    [page] = add_pages(scan_document, render_pages(1, 4, seed=5), with_lines=True)
    worker = start_worker("relayout")
    api = client_for("curator")
    body = {"kind": "transcribe", "collection": scan_document.collection.slug, "document": scan_document.pk,
            "parameters": {"model": htr_model.pk}}
    first = api.post("/api/v1/jobs/", body, format="json")
    assert first.status_code == 202, first.json()
    assert final_job(first.json()["id"], worker).state == "succeeded"
    lines = list(page.lines.order_by("order"))
    assert Inscription.objects.filter(line__in=lines, is_current=True).count() == 4

    # nothing changed yet: a "changed lines" job is refused before it is queued
    refused = api.post("/api/v1/jobs/", {**body, "parameters": {"model": htr_model.pk, "lines": "changed"}}, format="json")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "no_changed_lines"

    # the curator drags a baseline point of line 2 and splits line 4; an annotation sits on line 2's reading
    reading = Inscription.objects.get(line=lines[1], is_current=True)
    target = {"source": f"inscription:{reading.pk}"}
    if len(reading.text) >= 2:
        target["selector"] = [{"type": "TextPositionSelector", "start": 0, "end": min(4, len(reading.text))}]
    annotation = create_annotation(users["curator"], {"motivation": "commenting",
                                                      "body": [{"type": "TextualBody", "value": "first word"}],
                                                      "target": [target]})
    (x0, y0), (x1, y1) = lines[1].baseline[0], lines[1].baseline[-1]
    edit_line(lines[1], user=users["curator"], baseline=[[x0, y0], [(x0 + x1) / 2, y0 - 2], [x1, y1]])
    xs = [p[0] for p in lines[3].baseline]
    left, right = split_line(lines[3], (min(xs) + max(xs)) / 2, user=users["curator"])
    untouched = {ln.pk: Inscription.objects.get(line=ln, is_current=True).pk for ln in (lines[0], lines[2])}

    second = api.post("/api/v1/jobs/", {**body, "parameters": {"model": htr_model.pk, "lines": "changed"}}, format="json")
    assert second.status_code == 202, second.json()
    job = final_job(second.json()["id"], worker)
    assert job.state == "succeeded", job.error
    assert sorted(job.parameters["lines"]) == sorted([lines[1].pk, left.pk, right.pk])
    written = Inscription.objects.filter(job=job)
    assert sorted(written.values_list("line_id", flat=True)) == sorted([lines[1].pk, left.pk, right.pk])
    for line_id, pk in untouched.items():  # the unchanged lines were not read again
        assert Inscription.objects.get(line_id=line_id, layer=reading.layer, is_current=True).pk == pk
    # the annotation on the reshaped line's old reading was re-anchored on the new one, or flagged orphaned
    acts = list(AnnotationVersion.objects.filter(annotation=annotation).values_list("action", flat=True))
    assert acts[-1] in ("reanchor", "orphan"), acts
    assert not api.post("/api/v1/jobs/", {**body, "parameters": {"model": htr_model.pk, "lines": "changed"}},
                        format="json").status_code == 202  # read again: nothing is left to re-transcribe
