"""Defect 1 of issue 20: NUL and lone surrogates are refused at the edge (400), and a command repairs old rows."""
from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.db import connection

SURROGATE_BODY = '{"@context": "http://www.w3.org/ns/anno.jsonld", "type": "Annotation", "motivation": "commenting", ' \
                 '"body": {"type": "TextualBody", "value": "a\\ud800b"}, "target": "%s"}'


def _code(response) -> str:
    return response.json()["error"]["code"]


@pytest.fixture
def ins(users, collection):
    from archive.models import Document
    from inscription.models import LayerKind
    from inscription.services.inscriptions import create_inscription
    from inscription.services.layers import get_or_create_layer
    from tests.inscription.helpers import make_lines, make_page

    document = Document.objects.create(collection=collection, title="Letter", created_by=users["owner"])
    line = make_lines(make_page(document), 1)[0]
    layer = get_or_create_layer(document, "ground truth", LayerKind.GROUND_TRUTH)
    return create_inscription(layer=layer, text="Anna wrote", line=line, user=users["curator"])


def test_annotation_import_with_a_lone_surrogate_is_a_400_and_stores_nothing(client_for, ins):
    from inscription.models import Annotation

    body = SURROGATE_BODY % f"http://testserver/api/v1/inscriptions/{ins.pk}/"
    for ctype in ("application/json", "application/ld+json"):
        response = client_for("curator").post("/api/v1/annotations/import/", body, content_type=ctype)
        assert response.status_code == 400 and _code(response) == "invalid_text", response.content
    assert not Annotation.objects.exists()
    assert client_for("viewer").get("/api/v1/annotations/").status_code == 200


@pytest.mark.parametrize("value", ["a\u0000b", "a\ud800b", "\udfff"])
def test_nul_and_surrogates_in_json_bodies_are_400(client_for, collection, ins, value):
    from inscription.models import Reflection
    from jobs.models import Job

    curator = client_for("curator")
    raw = json.dumps({"title": "T", "body": value, "collection": collection.slug})
    assert _code(curator.post("/api/v1/reflections/", raw, content_type="application/json")) == "invalid_text"
    job = json.dumps({"kind": "transcribe", "collection": collection.slug, "parameters": {"layer": value}})
    response = curator.post("/api/v1/jobs/", job, content_type="application/json")
    assert response.status_code == 400 and _code(response) == "invalid_text"
    key = json.dumps({"kind": "transcribe", "collection": collection.slug, "parameters": {value: 1}})
    assert curator.post("/api/v1/jobs/", key, content_type="application/json").status_code == 400
    assert not Job.objects.exists() and not Reflection.objects.exists()


def test_nul_in_paths_queries_and_forms_is_400(client_for, collection):
    client = client_for("owner")
    for url in ("/api/v1/collections/a%00b/", "/api/v1/jobs/?collection=a%00b", "/api/v1/documents/?search=x%00",
                "/api/v1/collections/?x%00=1"):
        response = client.get(url)
        assert response.status_code == 400 and _code(response) == "invalid_text", url
    response = client.post("/api/v1/jobs/", {"kind": "transcribe", "collection": "a\x00b"}, format="json")
    assert response.status_code == 400 and _code(response) == "invalid_text"
    form = client.post(f"/api/v1/collections/{collection.slug}/ingest/", {"title": "a\x00b"}, format="multipart")
    assert form.status_code == 400 and _code(form) == "invalid_text"


def test_json_nested_100000_deep_is_a_400_not_a_crash(client_for, collection):
    deep = "[" * 100_000 + "]" * 100_000
    client = client_for("curator")
    for url in ("/api/v1/annotations/import/", "/api/v1/jobs/", f"/api/v1/collections/{collection.slug}/import/iiif/"):
        response = client.post(url, deep, content_type="application/json")
        assert response.status_code == 400 and _code(response) == "invalid_text", (url, response.content[:200])


def test_uploaded_iiif_manifest_with_a_surrogate_is_refused(client_for, collection):
    from django.core.files.uploadedfile import SimpleUploadedFile

    raw = b'{"@context": "http://iiif.io/api/presentation/3/context.json", "type": "Manifest", "label": "\\ud800"}'
    response = client_for("curator").post(f"/api/v1/collections/{collection.slug}/import/iiif/",
                                          {"manifest": SimpleUploadedFile("m.json", raw)}, format="multipart")
    assert response.status_code == 400 and _code(response) == "invalid_text"


def test_repair_command_fixes_rows_already_stored(ins, users, client_for, capsys):
    """Only SQLite can hold such rows (PostgreSQL refuses NUL and lone surrogates), so this runs there."""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL never stores NUL or lone surrogates; nothing to repair there")
    from inscription.models import Annotation, Reflection
    from inscription.services.annotations import create_annotation

    annotation = create_annotation(users["curator"], {
        "motivation": "commenting", "body": [{"type": "TextualBody", "value": "fine"}],
        "target": [{"source": f"inscription:{ins.pk}", "selector": [{"type": "TextQuoteSelector", "exact": "Anna"}]}]})
    Annotation.objects.filter(pk=annotation.pk).update(body=[{"type": "TextualBody", "value": "a\ud800b"}])
    reflection = Reflection.objects.create(collection=ins.layer.document.collection, title="R", body="x\x00y",
                                           created_by=users["curator"])
    with pytest.raises(UnicodeEncodeError):  # the stored row breaks every read until it is repaired
        client_for("viewer").get("/api/v1/annotations/")
    call_command("repair_text", "--dry-run")
    assert "would repair 1 row(s)" in capsys.readouterr().out
    assert Annotation.objects.get(pk=annotation.pk).body[0]["value"] == "a\ud800b"
    call_command("repair_text")
    out = capsys.readouterr().out
    assert "inscription.Annotation.body: repaired 1 row(s)" in out and "inscription.Reflection.body: repaired 1 row(s)" in out
    assert Annotation.objects.get(pk=annotation.pk).body[0]["value"] == "a\ufffdb"
    assert Reflection.objects.get(pk=reflection.pk).body == "xy"
    assert client_for("viewer").get("/api/v1/annotations/").status_code == 200
