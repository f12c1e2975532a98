"""IIIF Presentation 3 manifests and collections validate (iiif-prezi3 models + the shared JSON schema when present)."""
from __future__ import annotations

import json

import pytest

from tests.conftest import SHARED

IIIF_SCHEMA = SHARED / "standards" / "iiif" / "iiif_3_0.json" if SHARED else None


def assert_valid_iiif(data: dict) -> None:
    from iiif_prezi3 import Collection, Manifest

    model = {"Manifest": Manifest, "Collection": Collection}[data["type"]]
    parsed = model(**data)  # pydantic validation of the whole tree
    assert parsed.id == data["id"]
    if IIIF_SCHEMA is not None and IIIF_SCHEMA.exists():
        import jsonschema

        validator = jsonschema.Draft7Validator(json.loads(IIIF_SCHEMA.read_text()))
        errors = [e.message for e in validator.iter_errors(data)]
        assert errors == [], errors[:5]


def test_manifest_validates_with_transcription_and_curator_annotations(annotated_document, client_for):
    response = client_for("viewer").get(f"/api/v1/documents/{annotated_document.pk}/manifest/")
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("application/ld+json")
    data = json.loads(response.content)
    assert_valid_iiif(data)
    assert data["@context"] == "http://iiif.io/api/presentation/3/context.json"
    assert data["label"] == {"fr": ["Letter to Anna"]}
    canvas = data["items"][0]
    assert canvas["width"] == 600 and canvas["height"] == 400
    body = canvas["items"][0]["items"][0]["body"]
    assert body["type"] == "Image" and body["id"].startswith("http://testserver/") and body["format"] == "image/png"
    pages = {p["label"]["en"][0]: p for p in canvas["annotations"]}
    lines = pages["Transcription"]["items"]
    assert [a["motivation"] for a in lines] == ["supplementing"] * 3
    assert lines[0]["body"]["value"] == "Ma chère Anna,"
    target = lines[0]["target"]  # the box every viewer reads, and the polygon + baseline as an equivalent SvgSelector
    assert target["source"]["id"] == canvas["id"] and target["selector"][0]["value"] == "xywh=50,60,500,60"
    assert '<polyline class="baseline" points="50,110 550,108"/>' in target["selector"][1]["value"]
    assert lines[0]["creator"]["nickname"] == "owner"
    curators = pages["Curators' annotations"]["items"]
    region = next(a for a in curators if a["motivation"] == "commenting")
    assert region["target"]["source"] == canvas["id"]
    assert region["body"]["value"] == "A water stain over the greeting."


def test_manifest_machine_layer_names_the_model(annotated_document, client_for):
    machine = annotated_document.layers.get(kind="machine")
    data = client_for("viewer").get(f"/api/v1/documents/{annotated_document.pk}/manifest/?layer={machine.pk}").json()
    assert_valid_iiif(data)
    anno = data["items"][0]["annotations"][0]["items"][0]
    assert anno["body"]["value"] == "Ma chere Anna,"
    assert anno["generator"]["name"] == "htr-default 1.0" and "ab" * 32 in anno["generator"]["nickname"]


def test_collection_validates_and_lists_documents(annotated_document, client_for):
    data = client_for("viewer").get(f"/api/v1/collections/{annotated_document.collection.slug}/iiif/").json()
    assert_valid_iiif(data)
    assert [m["label"] for m in data["items"]] == [{"fr": ["Letter to Anna"]}]


def test_validators_reject_broken_manifests():
    from pydantic import ValidationError

    canvas = {"id": "http://x/c", "type": "Canvas", "width": "wide", "height": 10}
    with pytest.raises(ValidationError):
        assert_valid_iiif({"id": "http://x/m", "type": "Manifest", "label": {"en": ["x"]}, "items": [canvas]})
    if IIIF_SCHEMA is not None and IIIF_SCHEMA.exists():
        with pytest.raises(AssertionError):
            assert_valid_iiif({"id": "http://x/m", "type": "Manifest", "label": "not a language map", "items": []})
