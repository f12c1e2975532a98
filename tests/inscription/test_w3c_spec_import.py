"""W3C Web Annotation import per the specification's own examples, not only our output (issue 19, point 10)."""
from __future__ import annotations

import pytest

from inscription.annotations.jsonld import ANNO_CONTEXT
from tests.inscription.test_annotations import machine_line


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def ins(lines, document):
    from inscription.models import LayerKind
    from inscription.services.layers import get_or_create_layer
    from tests.inscription.helpers import fake_model_version

    layer = get_or_create_layer(document, "htr-test 1.0 (greedy)", LayerKind.MACHINE, model_version=fake_model_version())
    return machine_line(layer, lines[0], "Dear Anna, the war is over")


def _post(client, doc):
    return client.post("/api/v1/annotations/import/", doc, format="json")


def test_body_with_source_and_no_type(client_for, ins):
    """Spec example 'Specific Resource' bodies may omit type: {"source": IRI, "purpose": ...}."""
    doc = {"@context": ANNO_CONTEXT, "id": "http://example.org/anno18", "type": "Annotation", "motivation": "linking",
           "body": {"source": "http://example.org/page1", "purpose": "linking"},
           "target": f"http://testserver/api/v1/inscriptions/{ins.pk}/"}
    response = _post(client_for("curator"), doc)
    assert response.status_code == 201, response.content
    body = response.json()["created"][0]["body"]
    assert body == [{"type": "Link", "source": "http://example.org/page1", "purpose": "linking"}]


def test_choice_body_keeps_every_choice(client_for, ins):
    """Spec example 13 (Choice between bodies): all choices are kept, in order."""
    doc = {"@context": ANNO_CONTEXT, "id": "http://example.org/anno13", "type": "Annotation", "motivation": "commenting",
           "body": {"type": "Choice", "items": [
               {"type": "TextualBody", "value": "Dear Anna", "language": "en"},
               {"type": "TextualBody", "value": "Liebe Anna", "language": "de"}]},
           "target": f"http://testserver/api/v1/inscriptions/{ins.pk}/"}
    response = _post(client_for("curator"), doc)
    assert response.status_code == 201, response.content
    body = response.json()["created"][0]["body"]
    assert [(b["value"], b["language"]) for b in body] == [("Dear Anna", "en"), ("Liebe Anna", "de")]


def test_iiif_context_annotation_page(client_for, ins):
    """An AnnotationPage in the IIIF Presentation 3 context (as IIIF viewers export them)."""
    page = {"@context": "http://iiif.io/api/presentation/3/context.json", "id": "http://example.org/page/1",
            "type": "AnnotationPage", "items": [
                {"id": "http://example.org/anno/1", "type": "Annotation", "motivation": "commenting",
                 "body": {"type": "TextualBody", "value": "a note", "format": "text/plain"},
                 "target": f"http://testserver/api/v1/inscriptions/{ins.pk}/"}]}
    response = _post(client_for("curator"), page)
    assert response.status_code == 201, response.content
    assert response.json()["created"][0]["extra"]["imported_id"] == "http://example.org/anno/1"


@pytest.mark.parametrize(("shape", "expected"), [
    ("<path d='M10,10 L60,10 L60,40 L10,40 Z'/>", "10,10 60,10 60,40 10,40"),
    ("<path d='m10 10 h50 v30 h-50 z'/>", "10,10 60,10 60,40 10,40"),
    ("<polyline points='10,10 60,10 60,40 10,40'/>", "10,10 60,10 60,40 10,40"),
])
def test_svg_path_and_polyline_selectors(client_for, ins, shape, expected):
    """Spec SvgSelector examples draw with <path>; Mirador and Annotorious write straight-segment paths."""
    doc = {"@context": ANNO_CONTEXT, "type": "Annotation", "motivation": "commenting", "bodyValue": "stain",
           "target": {"source": f"http://testserver/api/v1/pages/{ins.page_id}/",
                      "selector": {"type": "SvgSelector", "value": f"<svg xmlns='http://www.w3.org/2000/svg'>{shape}</svg>"}}}
    response = _post(client_for("curator"), doc)
    assert response.status_code == 201, response.content
    assert f'points="{expected}"' in response.json()["created"][0]["target"][0]["selector"][0]["value"]


def test_svg_path_with_curves_is_a_clear_400(client_for, ins):
    from inscription.models import Annotation

    doc = {"@context": ANNO_CONTEXT, "type": "Annotation", "motivation": "commenting", "bodyValue": "stain",
           "target": {"source": f"http://testserver/api/v1/pages/{ins.page_id}/",
                      "selector": {"type": "SvgSelector", "value": "<svg xmlns='http://www.w3.org/2000/svg'><path d='M10,10 C20,20 40,20 50,10 Z'/></svg>"}}}
    response = _post(client_for("curator"), doc)
    assert response.status_code == 400 and "curves" in response.json()["error"]["message"]
    assert Annotation.objects.count() == 0
