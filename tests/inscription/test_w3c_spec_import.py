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


# --- every motivation, external targets, partial imports (issue 19, point 10) ---------------------------------------

W3C_MOTIVATIONS = ["assessing", "bookmarking", "classifying", "commenting", "describing", "editing", "highlighting",
                   "identifying", "linking", "moderating", "questioning", "replying", "tagging"]


def test_the_archive_stores_the_whole_vocabulary():
    from inscription.annotations.jsonld import W3C_MOTIVATIONS as READ
    from inscription.models import Motivation

    assert sorted(Motivation.values) == sorted(READ) == W3C_MOTIVATIONS


@pytest.mark.parametrize("motivation", W3C_MOTIVATIONS)
def test_every_motivation_of_the_vocabulary(client_for, ins, motivation):
    """Spec §3.3.5: the 13 motivations of oa:Motivation, also written as oa:… and as full IRIs."""
    from inscription.annotations.w3c import failed_assertions

    client = client_for("curator")
    for written in (motivation, f"oa:{motivation}", f"http://www.w3.org/ns/oa#{motivation}"):
        doc = {"@context": ANNO_CONTEXT, "type": "Annotation", "motivation": written, "bodyValue": "note",
               "target": f"http://testserver/api/v1/inscriptions/{ins.pk}/"}
        response = _post(client, doc)
        assert response.status_code == 201, response.content
        created = response.json()["created"][0]
        assert created["motivation"] == motivation
    exported = client.get(f"/api/v1/annotations/{created['id']}/?format=jsonld").json()
    assert exported["motivation"] == motivation and failed_assertions(exported) == []


BOOKMARK = {  # spec example 'bookmarking' shape, as Hypothesis or a IIIF viewer writes it: the target is elsewhere
    "@context": ANNO_CONTEXT, "id": "http://example.org/anno20", "type": "Annotation", "motivation": "bookmarking",
    "body": {"type": "TextualBody", "value": "read this later", "format": "text/plain"},
    "target": {"type": "SpecificResource", "source": "https://gallica.bnf.fr/iiif/ark:/12148/btv1b8451636x/canvas/f1",
               "selector": {"type": "FragmentSelector", "conformsTo": "http://www.w3.org/TR/media-frags/",
                            "value": "xywh=100,100,300,300"}},
}


def test_external_target_is_kept_as_given_on_the_named_document(client_for, ins, document):
    from inscription.annotations.w3c import failed_assertions

    client = client_for("curator")
    response = client.post(f"/api/v1/annotations/import/?document={document.pk}", BOOKMARK, format="json")
    assert response.status_code == 201, response.content
    created = response.json()["created"][0]
    assert created["document"] == document.pk and created["page"] is None and created["motivation"] == "bookmarking"
    assert created["external_targets"] == [BOOKMARK["target"]["source"]]
    assert created["target"] == [{"source": BOOKMARK["target"]["source"], "external": True, "given": BOOKMARK["target"]}]
    assert response.json()["not_kept"] == []
    exported = client.get(f"/api/v1/annotations/{created['id']}/?format=jsonld").json()
    assert exported["target"] == BOOKMARK["target"] and failed_assertions(exported) == []  # written back exactly
    html = _browser(ins).get(f"/d/{document.pk}/").content.decode()
    assert "Annotations pointing outside the archive" in html
    assert f'External target: <a href="{BOOKMARK["target"]["source"]}"' in html


def test_mixed_targets_keep_the_external_one_and_show_it_in_the_workspace(client_for, ins):
    doc = {"@context": ANNO_CONTEXT, "type": "Annotation", "motivation": "linking", "bodyValue": "same hand",
           "target": [f"http://testserver/api/v1/pages/{ins.page_id}/", "https://example.org/letters/12"]}
    response = _post(client_for("curator"), doc)
    assert response.status_code == 201, response.content
    created = response.json()["created"][0]
    assert created["page"] == ins.page_id and created["external_targets"] == ["https://example.org/letters/12"]
    html = _browser(ins).get(f"/p/{ins.page_id}/").content.decode()
    assert 'External target: <a href="https://example.org/letters/12"' in html


def _browser(ins):
    from django.contrib.auth import get_user_model
    from django.test import Client

    browser = Client()
    browser.force_login(get_user_model().objects.get(username="curator"))
    return browser


def test_a_page_keeps_what_it_can_and_lists_the_rest(client_for, ins):
    """One unkeepable annotation no longer refuses the file: the rest is imported and the rest listed with counts."""
    from inscription.models import Annotation

    target = f"http://testserver/api/v1/inscriptions/{ins.pk}/"
    items = [
        {"id": "http://example.org/a/1", "type": "Annotation", "motivation": "commenting", "bodyValue": "kept", "target": target},
        {"id": "http://example.org/a/2", "type": "Annotation", "motivation": ["highlighting", "bookmarking"], "target": target},
        {"id": "http://example.org/a/3", "type": "Annotation", "bodyValue": "gone", "target": "http://testserver/api/v1/lines/999999/"},
        {"id": "http://example.org/a/4", "type": "Annotation", "bodyValue": "gone", "target": "https://example.org/elsewhere"},
        {"id": "http://example.org/a/5", "type": "Annotation", "bodyValue": "gone", "target": {
            "source": target, "selector": {"type": "TextPositionSelector", "start": 0, "end": 4,
                                           "refinedBy": {"type": "TextQuoteSelector", "exact": "Dear"}}}},
        {"id": "http://example.org/a/6", "type": "Annotation", "bodyValue": "gone", "target": {
            "source": target, "selector": {"type": "TextQuoteSelector", "exact": "not in the line"}}},
        {"id": "http://example.org/a/7", "type": "Annotation", "motivation": "http://example.org/ns#shouting", "target": target},
    ]
    page = {"@context": ANNO_CONTEXT, "type": "AnnotationPage", "items": items}
    response = _post(client_for("curator"), page)
    assert response.status_code == 201, response.content
    body = response.json()
    assert [a["extra"]["imported_id"] for a in body["created"]] == ["http://example.org/a/1", "http://example.org/a/2"]
    counts = {item["what"]: item["count"] for item in body["not_kept"]}
    assert counts == {
        "annotations on something this archive does not hold or you cannot read": 1,
        "annotations whose every target lies outside this archive (name a document to keep them on)": 1,
        "annotations using W3C features not supported here (refinedBy, Composite/List/Independents bodies)": 1,
        "annotations whose selector does not fit their target": 1,
        "motivations after the first (one is kept per annotation)": 1,
        "annotations with a motivation outside the W3C vocabulary": 1,
    }
    assert all(item["message"] == f"{item['count']} {item['what']} not kept" for item in body["not_kept"])
    assert Annotation.objects.count() == 2


def test_invalid_input_still_refuses_the_whole_file(client_for, ins):
    from inscription.models import Annotation

    target = f"http://testserver/api/v1/inscriptions/{ins.pk}/"
    page = {"@context": ANNO_CONTEXT, "type": "AnnotationPage", "items": [
        {"type": "Annotation", "bodyValue": "fine", "target": target},
        {"type": "Annotation", "bodyValue": "no target"}]}
    response = _post(client_for("curator"), page)
    assert response.status_code == 400 and "needs a 'target'" in response.json()["error"]["message"]
    assert not Annotation.objects.exists()


def test_nothing_keepable_is_a_400_listing_why(client_for, ins):
    from inscription.models import Annotation

    page = {"@context": ANNO_CONTEXT, "type": "AnnotationPage", "items": [
        {"type": "Annotation", "bodyValue": "x", "target": "https://example.org/one"},
        {"type": "Annotation", "bodyValue": "y", "target": "https://example.org/two"}]}
    response = _post(client_for("curator"), page)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "external_only" and error["detail"]["not_kept"][0]["count"] == 2
    assert not Annotation.objects.exists()
