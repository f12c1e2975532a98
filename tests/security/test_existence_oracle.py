"""Defect 9 of issue 20: "does not exist" and "you may not see it" get one answer (status and body)."""
from __future__ import annotations

import pytest


@pytest.fixture
def hidden(users):
    """Another owner's private collection with a document, a page and a line the stranger cannot see."""
    from archive.models import Collection, Document, Membership, Role
    from tests.inscription.helpers import make_lines, make_page

    other = Collection.objects.create(slug="private-diaries", title="Diaries", owner=users["admin"])
    Membership.objects.create(collection=other, user=users["admin"], role=Role.OWNER)
    document = Document.objects.create(collection=other, title="Diary")
    page = make_page(document)
    line = make_lines(page, 1)[0]
    return {"collection": other, "document": document, "page": page, "line": line}


def _same(a, b) -> None:
    assert (a.status_code, a.json()) == (b.status_code, b.json()), (a.content, b.content)
    assert a.status_code == 404


def test_jobs_answer_the_same_for_a_hidden_and_an_unknown_collection(hidden, client_for):
    client = client_for("stranger")
    seen = client.post("/api/v1/jobs/", {"kind": "transcribe", "collection": hidden["collection"].slug}, format="json")
    unknown = client.post("/api/v1/jobs/", {"kind": "transcribe", "collection": "no-such-collection"}, format="json")
    _same(seen, unknown)
    by_id = client.post("/api/v1/jobs/", {"kind": "transcribe", "collection": str(hidden["collection"].pk)}, format="json")
    _same(by_id, client.post("/api/v1/jobs/", {"kind": "transcribe", "collection": "987654"}, format="json"))


@pytest.mark.parametrize("field", ["line", "page", "document"])
def test_inscription_targets_answer_the_same_when_hidden_or_missing(hidden, client_for, field):
    client = client_for("stranger")
    body = {"text": "x", "layer_name": "ground truth"}
    seen = client.post("/api/v1/inscriptions/", body | {field: hidden[field].pk}, format="json")
    missing = client.post("/api/v1/inscriptions/", body | {field: 987654}, format="json")
    _same(seen, missing)


def test_trace_and_drift_answer_the_same_when_hidden_or_missing(hidden, client_for, users):
    from inscription.models import LayerKind
    from inscription.services.inscriptions import create_inscription
    from inscription.services.layers import get_or_create_layer

    layer = get_or_create_layer(hidden["document"], "ground truth", LayerKind.GROUND_TRUTH)
    ins = create_inscription(layer=layer, text="secret", line=hidden["line"], user=users["admin"])
    client = client_for("stranger")
    _same(client.get(f"/api/v1/inscriptions/{ins.pk}/trace/"), client.get("/api/v1/inscriptions/987654/trace/"))
