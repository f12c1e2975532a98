"""Annotation API: permissions per role, JSON-LD negotiation, collections/pages, import and bad input."""
from __future__ import annotations

import json

import pytest

from inscription.annotations.jsonld import ANNO_CONTEXT, MEDIA_TYPE
from inscription.annotations.selectors import MEDIA_FRAGS
from inscription.annotations.w3c import failed_assertions
from tests.inscription.test_annotations import machine_line, span

LD = MEDIA_TYPE
ROLES = ("anonymous", "viewer", "curator", "owner", "stranger")


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def machine_layer(document):
    from inscription.models import LayerKind
    from inscription.services.layers import get_or_create_layer
    from tests.inscription.helpers import fake_model_version

    return get_or_create_layer(document, "htr-test 1.0 (greedy)", LayerKind.MACHINE, model_version=fake_model_version())


@pytest.fixture
def ins(lines, machine_layer):
    return machine_line(machine_layer, lines[0], "Dear Anna, the war is over")


@pytest.fixture
def annotation(users, ins):
    from inscription.services.annotations import create_annotation

    return create_annotation(users["curator"], span(ins, 11, 18, body="hope"))


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"} and {"code", "message", "detail"} <= set(body["error"]), body
    return body["error"]


@pytest.mark.parametrize("who, expected", [("anonymous", 404), ("stranger", 404), ("viewer", 200), ("curator", 200), ("owner", 200)])
def test_read_permissions(client_for, annotation, document, who, expected):
    client = client_for(who)
    assert client.get(f"/api/v1/annotations/{annotation.pk}/").status_code == expected
    assert client.get(f"/api/v1/annotations/{annotation.pk}/versions/").status_code == expected
    assert client.get(f"/api/v1/annotation-collections/{document.pk}/").status_code == expected
    listed = client.get("/api/v1/annotations/").json()["results"]
    assert [a["id"] for a in listed] == ([annotation.pk] if expected == 200 else [])


@pytest.mark.parametrize("who, expected", [("anonymous", 403), ("stranger", 400), ("viewer", 403), ("curator", 201), ("owner", 201)])
def test_create_permissions(client_for, ins, who, expected):
    from inscription.models import Annotation

    response = client_for(who).post("/api/v1/annotations/", span(ins, 0, 4), format="json")
    assert response.status_code == expected, response.content
    assert Annotation.objects.count() == (1 if expected == 201 else 0)
    if expected == 400:
        assert "does not exist or you cannot read it" in error_of(response)["message"]


@pytest.mark.parametrize("who, expected", [("anonymous", 403), ("stranger", 404), ("viewer", 403), ("curator", 200), ("owner", 200)])
def test_edit_permissions(client_for, annotation, who, expected):
    response = client_for(who).patch(f"/api/v1/annotations/{annotation.pk}/", {"motivation": "questioning"}, format="json")
    assert response.status_code == expected, response.content
    annotation.refresh_from_db()
    assert annotation.motivation == ("questioning" if expected == 200 else "commenting")
    assert annotation.versions.count() == (2 if expected == 200 else 1)


@pytest.mark.parametrize("who, expected", [("anonymous", 403), ("stranger", 404), ("viewer", 403), ("curator", 204), ("owner", 204)])
def test_withdraw_permissions(client_for, annotation, who, expected):
    from inscription.models import Annotation

    response = client_for(who).delete(f"/api/v1/annotations/{annotation.pk}/?reason=mistake")
    assert response.status_code == expected
    row = Annotation.objects.get(pk=annotation.pk)  # never deleted
    assert row.withdrawn is (expected == 204)
    if expected == 204:
        assert row.versions.order_by("-version").first().note == {"reason": "mistake"}
        viewer = client_for("viewer")
        assert viewer.get("/api/v1/annotations/").json()["count"] == 0
        assert viewer.get("/api/v1/annotations/?withdrawn=true").json()["count"] == 1


@pytest.mark.parametrize("who, expected", [("anonymous", 403), ("stranger", 400), ("viewer", 403), ("curator", 201), ("owner", 201)])
def test_import_permissions(client_for, ins, who, expected):
    doc = {"@context": ANNO_CONTEXT, "type": "Annotation", "motivation": "commenting", "bodyValue": "imported",
           "target": {"type": "SpecificResource", "source": f"http://testserver/api/v1/inscriptions/{ins.pk}/",
                      "selector": {"type": "TextQuoteSelector", "exact": "Anna"}}}
    response = client_for(who).post("/api/v1/annotations/import/", doc, format="json")
    assert response.status_code == expected, response.content


def test_jsonld_is_negotiated_and_conforms(client_for, annotation):
    client = client_for("viewer")
    plain = client.get(f"/api/v1/annotations/{annotation.pk}/")
    assert plain["Content-Type"] == "application/json" and plain.json()["target"][0]["source"].startswith("inscription:")
    ld = client.get(f"/api/v1/annotations/{annotation.pk}/", HTTP_ACCEPT=LD)
    assert ld["Content-Type"] == LD
    doc = json.loads(ld.content)
    assert doc["id"] == f"http://testserver/api/v1/annotations/{annotation.pk}/" and doc["body"]["value"] == "hope"
    assert failed_assertions(doc, "Annotation") == []
    by_param = client.get(f"/api/v1/annotations/{annotation.pk}/?format=jsonld")
    assert json.loads(by_param.content) == doc
    also = client.get(f"/api/v1/annotations/{annotation.pk}/", HTTP_ACCEPT="application/ld+json")
    assert also["Content-Type"] == LD


def test_collection_and_pages(client_for, users, ins, document, monkeypatch):
    from inscription.api import annotations as api
    from inscription.services.annotations import create_annotation

    monkeypatch.setattr(api, "COLLECTION_PAGE_SIZE", 2)
    made = [create_annotation(users["curator"], span(ins, i, i + 3)) for i in range(3)]
    client = client_for("viewer")
    collection = json.loads(client.get(f"/api/v1/annotation-collections/{document.pk}/").content)
    assert failed_assertions(collection, "AnnotationCollection") == []
    assert collection["total"] == 3 and collection["last"].endswith("?page=2")
    first = json.loads(client.get(collection["first"]).content)
    second = json.loads(client.get(first["next"]).content)
    for page in (first, second):
        assert failed_assertions(page, "AnnotationPage") == []
        for item in page["items"]:
            assert failed_assertions({"@context": ANNO_CONTEXT} | item, "Annotation") == []
    assert [i["id"].rstrip("/").rsplit("/", 1)[1] for i in first["items"] + second["items"]] == [str(a.pk) for a in made]
    assert second["prev"] == first["id"] and second["startIndex"] == 2 and second["partOf"]["id"] == collection["id"]
    assert client.get(f"/api/v1/annotation-collections/{document.pk}/?page=3").status_code == 404


def test_export_then_import_round_trip(client_for, users, annotation, document):
    from inscription.models import Annotation

    client = client_for("curator")
    page = json.loads(client.get(f"/api/v1/annotation-collections/{document.pk}/?page=1").content)
    response = client.post("/api/v1/annotations/import/", page, format="json")
    assert response.status_code == 201, response.content
    created = response.json()["created"]
    assert len(created) == 1 and created[0]["target"] == annotation.target and created[0]["body"] == annotation.body
    assert Annotation.objects.get(pk=created[0]["id"]).versions.get().action == "import"
    assert created[0]["extra"]["imported_id"] == f"http://testserver/api/v1/annotations/{annotation.pk}/"
    # application/ld+json request bodies are accepted too
    ld = client.post("/api/v1/annotations/import/", json.dumps(page), content_type="application/ld+json")
    assert ld.status_code == 201


BASE_DOC = {"@context": ANNO_CONTEXT, "type": "Annotation", "motivation": "commenting", "bodyValue": "x"}


@pytest.mark.parametrize("mutate, code, message", [
    (lambda d, t: d | {"@context": "http://example.org/other"}, "invalid_jsonld", "'@context' must be http://www.w3.org/ns/anno.jsonld"),
    (lambda d, t: {k: v for k, v in d.items() if k != "@context"}, "invalid_jsonld", "'@context' is missing"),
    (lambda d, t: d | {"type": "Note"}, "invalid_jsonld", "'type' must be"),
    (lambda d, t: d | {"motivation": "praising"}, "unknown_motivation", "unknown motivation 'praising'"),
    (lambda d, t: {k: v for k, v in d.items() if k != "target"}, "invalid_jsonld", "needs a 'target'"),
    # a target outside the archive is kept as given (issue 19), but only on a document named with ?document=
    (lambda d, t: d | {"target": "https://elsewhere.org/doc/1"}, "external_only", "every target lies outside this archive"),
    (lambda d, t: d | {"target": "http://testserver/api/v1/inscriptions/999999/"}, "unknown_target", "does not exist"),
    (lambda d, t: d | {"target": "http://testserver/api/v1/collections/1/"}, "unknown_target",
     "not an inscription, line, page or document"),
    (lambda d, t: d | {"target": t | {"selector": {"type": "TextPositionSelector", "start": 3, "end": 500}}}, "bad_selector",
     "outside the text"),
    (lambda d, t: d | {"target": t | {"selector": {"type": "TextQuoteSelector", "exact": "not there"}}}, "bad_selector",
     "does not occur"),
])
def test_import_rejects_bad_jsonld_clearly(client_for, ins, page, mutate, code, message):
    from inscription.models import Annotation

    target = {"type": "SpecificResource", "source": f"http://testserver/api/v1/inscriptions/{ins.pk}/"}
    doc = mutate(dict(BASE_DOC) | {"target": target}, target)
    response = client_for("curator").post("/api/v1/annotations/import/", doc, format="json")
    assert response.status_code == 400, response.content
    error = error_of(response)
    assert error["code"] == code and message in error["message"], error
    assert not Annotation.objects.exists()


def test_import_rejects_a_region_outside_the_image(client_for, page):
    doc = BASE_DOC | {"target": {"type": "SpecificResource", "source": f"http://testserver/api/v1/pages/{page.pk}/",
                                 "selector": {"type": "FragmentSelector", "conformsTo": MEDIA_FRAGS, "value": "xywh=0,0,401,10"}}}
    response = client_for("curator").post("/api/v1/annotations/import/", doc, format="json")
    assert response.status_code == 400 and "outside the image (400x120 pixels)" in error_of(response)["message"]


def test_malformed_json_is_a_clear_400(client_for):
    for content_type in ("application/json", "application/ld+json"):
        response = client_for("curator").post("/api/v1/annotations/import/", '{"@context": "http://www.w3.org/ns/anno.jsonld",',
                                              content_type=content_type)
        assert response.status_code == 400
        error = error_of(response)
        assert error["code"] == "parse_error" and "JSON parse error" in error["message"]


def test_a_bad_item_in_a_page_stores_nothing(client_for, ins):
    from inscription.models import Annotation

    good = {"type": "Annotation", "target": f"http://testserver/api/v1/inscriptions/{ins.pk}/"}
    page = {"@context": ANNO_CONTEXT, "type": "AnnotationPage", "items": [good, good | {"motivation": "shouting"}]}
    response = client_for("curator").post("/api/v1/annotations/import/", page, format="json")
    assert response.status_code == 400
    assert "items[1]" in error_of(response)["message"] or "annotation 2 of 2" in error_of(response)["message"]
    assert not Annotation.objects.exists()
    collection = {"@context": ANNO_CONTEXT, "type": "AnnotationCollection", "first": "http://testserver/x?page=1"}
    response = client_for("curator").post("/api/v1/annotations/import/", collection, format="json")
    assert response.status_code == 400 and "linked pages are not fetched" in error_of(response)["message"]


@pytest.mark.parametrize("payload, message", [
    ({"motivation": "praising", "target": [{"source": "document:1"}]}, "unknown motivation"),
    ({"target": []}, "target"),
    ({"target": [{"source": "collection:1"}]}, "a target is one of"),
    ({"target": [{"source": "document:1"}], "body": [{"type": "Link", "source": "javascript:alert(1)"}]}, "link source"),
    ({"target": [{"source": "document:1"}], "colour": "red"}, "unknown properties"),
])
def test_create_rejects_bad_platform_json(client_for, document, payload, message):
    payload = json.loads(json.dumps(payload).replace("document:1", f"document:{document.pk}"))
    response = client_for("curator").post("/api/v1/annotations/", payload, format="json")
    assert response.status_code == 400, response.content
    assert message in error_of(response)["message"]


def test_links_to_unreadable_items_are_rejected(client_for, users, document, django_user_model):
    from archive.models import Collection, Document

    hidden = Collection.objects.create(slug="hidden", title="Hidden", owner=users["stranger"])
    secret = Document.objects.create(collection=hidden, title="Secret")
    payload = {"motivation": "linking", "target": [{"source": f"document:{document.pk}"}],
               "body": [{"type": "Link", "source": f"document:{secret.pk}"}]}
    response = client_for("curator").post("/api/v1/annotations/", payload, format="json")
    assert response.status_code == 400 and error_of(response)["code"] == "unknown_link"


def test_filters(client_for, users, ins, lines, machine_layer, document):
    from inscription.services.annotations import create_annotation

    other = machine_line(machine_layer, lines[1], "Other line")
    tagged = create_annotation(users["curator"], {"motivation": "tagging", "target": [{"source": f"inscription:{ins.pk}"}],
                                                  "body": [{"type": "TextualBody", "value": "war", "purpose": "tagging"}]})
    by_owner = create_annotation(users["owner"], span(other, 0, 5))
    orphan = create_annotation(users["curator"], span(ins, 5, 9))  # "Anna"
    from tests.inscription.test_annotations import correct

    correct(ins, "Dear Maria, the war is over", users["curator"])
    client = client_for("viewer")

    def ids(query: str) -> list[int]:
        return sorted(a["id"] for a in client.get(f"/api/v1/annotations/?{query}").json()["results"])

    assert ids("motivation=tagging") == [tagged.pk]
    assert ids("tag=war") == [tagged.pk]
    assert ids("creator=owner") == [by_owner.pk]
    assert ids(f"document={document.pk}") == sorted([tagged.pk, by_owner.pk, orphan.pk])
    assert ids("orphaned=true") == [orphan.pk]
    assert ids(f"line={lines[1].pk}") == [by_owner.pk]
    assert ids(f"inscription={other.pk}") == [by_owner.pk]


def test_openapi_documents_the_endpoints(client_for, settings):
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("spectacular", "--format", "openapi-json", stdout=out)
    paths = json.loads(out.getvalue())["paths"]
    for path in ("/api/v1/annotations/", "/api/v1/annotations/{id}/", "/api/v1/annotations/import/",
                 "/api/v1/annotations/{id}/versions/", "/api/v1/annotation-collections/{id}/", "/api/v1/comparisons/",
                 "/api/v1/comparisons/{id}/", "/api/v1/comparisons/{id}/lines/", "/api/v1/reflections/",
                 "/api/v1/reflections/{id}/", "/api/v1/reflections/preview/", "/api/v1/reflections/{id}/versions/"):
        assert path in paths, path
    assert "requestBody" in paths["/api/v1/annotations/"]["post"]
