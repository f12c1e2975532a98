"""Drift timeline: CER per machine layer in lineage order, remembered fixes and forgotten regressions."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.inscription.helpers import fake_model_version, make_lines, make_page

GT = ["the letters", "arrived", "on tuesday"]
READ_A = ["tha letters", "arived", "on tuesday"]  # 1 + 1 + 0 edits
READ_B = ["the letters", "arrived", "on tusday"]  # 0 + 0 + 1 edits: two fixes, one regression
READ_C = ["the lettrs", "arrived", "in tuesday"]  # 1 + 0 + 1 edits, another lineage


@pytest.fixture
def drifting(collection, users):
    from archive.models import Document
    from inscription.models import LayerKind
    from inscription.services.inscriptions import LineText, create_inscription, write_page_lines
    from inscription.services.layers import GROUND_TRUTH, get_or_create_layer, machine_layer
    from jobs.models import ModelVersion

    document = Document.objects.create(collection=collection, title="Drifting", created_by=users["owner"])
    page = make_page(document)
    lines = make_lines(page, 3)
    now = timezone.now()
    a = fake_model_version("htr-a", "1", "a" * 64)
    b = fake_model_version("htr-a-ft", "2", "b" * 64)
    c = fake_model_version("htr-other", "1", "c" * 64)
    ModelVersion.objects.filter(pk=a.pk).update(created_at=now - timedelta(days=2))
    ModelVersion.objects.filter(pk=b.pk).update(created_at=now - timedelta(days=1), parent=a)
    ModelVersion.objects.filter(pk=c.pk).update(created_at=now - timedelta(days=3))
    a.refresh_from_db(), b.refresh_from_db(), c.refresh_from_db()
    layers = {}
    # The child's layer is written FIRST: order must come from the lineage, not from layer creation.
    for model, texts in ((b, READ_B), (a, READ_A), (c, READ_C)):
        layer = layers[model.name] = machine_layer(document, model, {"decoder": "greedy"})
        write_page_lines(layer=layer, page=page, model_version=model, parameters={"decoder": "greedy"},
                         readings=[LineText(line=ln, text=t, confidence=0.9) for ln, t in zip(lines, texts, strict=True)])
    gt = get_or_create_layer(document, GROUND_TRUTH, LayerKind.GROUND_TRUTH, user=users["owner"])
    for ln, text in zip(lines, GT, strict=True):
        create_inscription(layer=gt, text=text, line=ln, user=users["owner"])
    return document, lines, layers


def test_drift_orders_by_lineage_and_scores_against_ground_truth(drifting) -> None:
    from inscription.services.drift import drift

    document, lines, layers = drifting
    data = drift(document)
    ref_chars = sum(len(t) for t in GT)
    by_layer = {lay["layer"]: lay for lay in data["layers"]}
    a, b, c = (by_layer[layers[n].pk] for n in ("htr-a", "htr-a-ft", "htr-other"))
    assert (a["char_edits"], b["char_edits"], c["char_edits"]) == (2, 1, 2)
    assert a["ref_chars"] == b["ref_chars"] == ref_chars
    assert a["cer"] == pytest.approx(2 / ref_chars) and b["cer"] == pytest.approx(1 / ref_chars)
    assert a["lineage"] == b["lineage"] == a["model_version"] != c["lineage"]
    assert (a["depth"], b["depth"]) == (1, 2)
    order = [lay["layer"] for lay in data["layers"]]
    assert order.index(a["layer"]) < order.index(b["layer"])  # parent before child despite creation order

    # One transition (a → b); the other lineage is never compared with it.
    assert len(data["transitions"]) == 1
    t = data["transitions"][0]
    assert (t["from_layer"], t["to_layer"]) == (a["layer"], b["layer"])
    assert t["changed"] == 3 and t["remembered"] == 2 and t["forgotten"] == 1
    assert {r["line"] for r in t["remembered_lines"]} == {lines[0].pk, lines[1].pk}
    regression = t["forgotten_lines"][0]
    assert regression["line"] == lines[2].pk and regression["cer_before"] == 0.0 and regression["cer_after"] == pytest.approx(1 / 10)


def test_drift_restricted_to_held_out_lines(drifting) -> None:
    from inscription.services.drift import drift

    document, lines, layers = drifting
    data = drift(document, only_lines=[lines[2].pk])
    b = next(lay for lay in data["layers"] if lay["layer"] == layers["htr-a-ft"].pk)
    assert data["ground_truth_lines"] == 1 and b["lines_compared"] == 1
    assert b["cer"] == pytest.approx(1 / len(GT[2]))


@pytest.mark.parametrize(("who", "status"), [("owner", 200), ("curator", 200), ("viewer", 200),
                                             ("stranger", 404), ("anonymous", 404)])
def test_drift_api_permissions(drifting, client_for, who, status) -> None:
    document, *_ = drifting
    assert client_for(who).get(f"/api/v1/documents/{document.pk}/drift/").status_code == status
    assert client_for(who).get(f"/api/v1/documents/{document.pk}/drift/plot.svg").status_code == status


def test_drift_api_uses_a_fine_tune_jobs_held_out_lines(drifting, client_for, users) -> None:
    from jobs.models import Job, JobKind, JobState

    document, lines, _ = drifting
    job = Job.objects.create(kind=JobKind.TRAIN, state=JobState.SUCCEEDED, collection=document.collection, document=document,
                             requested_by=users["owner"], result={"held_out": [lines[0].pk]})
    data = client_for("viewer").get(f"/api/v1/documents/{document.pk}/drift/?job={job.pk}").json()
    assert data["restricted_to_lines"] == [lines[0].pk] and data["ground_truth_lines"] == 1

    other = Job.objects.create(kind=JobKind.TRANSCRIBE, state=JobState.SUCCEEDED, collection=document.collection,
                               document=document, requested_by=users["owner"], result={})
    response = client_for("viewer").get(f"/api/v1/documents/{document.pk}/drift/?job={other.pk}")
    assert response.status_code == 400 and response.json()["error"]["code"] == "no_held_out_lines"
    assert client_for("viewer").get(f"/api/v1/documents/{document.pk}/drift/?job=abc").status_code == 400
    assert client_for("viewer").get(f"/api/v1/documents/{document.pk}/drift/?lines=1,x").status_code == 400


def test_drift_plot_is_svg(drifting, client_for) -> None:
    document, *_ = drifting
    response = client_for("viewer").get(f"/api/v1/documents/{document.pk}/drift/plot.svg")
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content.lstrip().startswith(b"<svg") and b"</svg>" in response.content


def test_drift_page_lists_fixes_and_regressions(drifting, client, users) -> None:
    document, lines, _ = drifting
    client.force_login(users["viewer"])
    html = client.get(f"/d/{document.pk}/drift/").content.decode()
    assert "Remembered: fixes" in html and "Forgotten: regressions" in html and "<svg" in html
    assert "Teach the machine" not in html  # a viewer cannot start jobs
    client.force_login(users["curator"])
    html = client.get(f"/d/{document.pk}/drift/").content.decode()
    assert 'name="kind" value="train"' in html
    client.force_login(users["stranger"])
    assert client.get(f"/d/{document.pk}/drift/").status_code == 404


def test_memory_page_and_workspace_link(drifting, client, users) -> None:
    from inscription.models import Inscription

    document, lines, layers = drifting
    machine = Inscription.objects.get(layer=layers["htr-a"], line=lines[0], is_current=True)
    client.force_login(users["viewer"])
    page = client.get(f"/i/{machine.pk}/memory/")
    assert page.status_code == 200 and f"/api/v1/inscriptions/{machine.pk}/trace/" in page.content.decode()
    workspace = client.get(f"/p/{lines[0].page_id}/?layer={layers['htr-a'].pk}").content.decode()
    assert f'href="/i/{machine.pk}/memory/"' in workspace
    human = Inscription.objects.get(layer__kind="ground_truth", line=lines[0], is_current=True)
    assert client.get(f"/i/{human.pk}/memory/").status_code == 404
    client.force_login(users["stranger"])
    assert client.get(f"/i/{machine.pk}/memory/").status_code == 404
