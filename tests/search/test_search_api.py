"""GET /api/v1/search/ and the search= parameter of list endpoints (both databases)."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_search_endpoint_answers_with_hits_facets_and_links(client_for, archive):
    r = client_for("viewer").get("/api/v1/search/", {"q": "paques"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["count"] == 1 and body["next"] is None and body["previous"] is None
    hit = body["results"][0]
    assert hit["text"] == "ma maison de Pâques" and hit["highlights"] == [[13, 19]]
    line = archive["lines"][1]
    assert hit["url"] == f"/p/{archive['page'].pk}/?layer={archive['layer'].pk}&line={line.pk}#line-{line.pk}"
    assert hit["api_url"] == f"/api/v1/inscriptions/{hit['object_id']}/"
    assert set(body["facets"]) == {"collection", "document", "layer", "kind", "agent", "confidence", "date"}


def test_search_endpoint_pages_and_alternatives_switch(client_for, archive):
    viewer = client_for("viewer")
    first = viewer.get("/api/v1/search/", {"q": "à", "page_size": 1}).json()
    assert first["count"] == 2 and len(first["results"]) == 1 and "p=2" in first["next"]
    second = viewer.get(first["next"]).json()
    assert second["next"] is None and second["previous"] and second["results"][0]["id"] != first["results"][0]["id"]
    on = viewer.get("/api/v1/search/", {"q": "testament", "kind": "line"}).json()  # the server default threshold (0.02)
    assert on["alternative_count"] == 1 and on["results"][0]["match"] == "alternative"
    assert "with probability 0.35" in on["results"][0]["alternative"]["message"]
    off = viewer.get("/api/v1/search/", {"q": "testament", "kind": "line", "alternatives": "off"}).json()
    assert off["count"] == 0


def test_search_endpoint_is_scoped_to_readable_collections(client_for, archive, collection):
    from archive.models import Visibility

    assert client_for("anonymous").get("/api/v1/search/", {"q": "maison"}).json()["count"] == 0
    assert client_for("stranger").get("/api/v1/search/", {"q": "maison", "collection": collection.pk}).json()["count"] == 0
    collection.visibility = Visibility.PUBLIC
    collection.save()
    anon = client_for("anonymous").get("/api/v1/search/", {"q": "maison"}).json()
    assert anon["count"] == 1 and [f["value"] for f in anon["facets"]["collection"]] == [collection.pk]


@pytest.mark.parametrize("params, code", [({}, 400), ({"q": ""}, 400), ({"q": "-x"}, 400), ({"q": "a", "alternatives": "2"}, 400),
                                          ({"q": "a", "alternatives": "much"}, 400), ({"q": "a", "kind": "nope"}, 400),
                                          ({"q": "a", "page_size": 1000}, 400), ({"q": "a", "p": 0}, 400)])
def test_bad_search_requests_get_a_clear_400(client_for, archive, params, code):
    r = client_for("viewer").get("/api/v1/search/", params)
    assert r.status_code == code
    assert r.json()["error"]["message"]


def test_the_search_endpoint_is_in_openapi(client_for):
    schema = client_for("anonymous").get("/api/schema/", {"format": "json"}).json()
    op = schema["paths"]["/api/v1/search/"]["get"]
    names = {p["name"] for p in op["parameters"]}
    assert {"q", "collection", "document", "layer", "agent", "confidence_min", "year_from", "alternatives", "versions",
            "p", "page_size"} <= names
    lines = {p["name"] for p in schema["paths"]["/api/v1/lines/"]["get"]["parameters"]}
    comparisons = {p["name"] for p in schema["paths"]["/api/v1/comparisons/"]["get"]["parameters"]}
    assert "search" in lines and "search" not in comparisons


def test_search_parameter_of_lines_inscriptions_and_annotations_now_filters(client_for, archive, users):
    from inscription.services.annotations import create_annotation

    viewer = client_for("viewer")
    ins = archive["layer"].inscriptions.get(line=archive["lines"][0])
    create_annotation(users["curator"], {
        "motivation": "commenting", "body": [{"type": "TextualBody", "value": "un légataire"}],
        "target": [{"source": f"inscription:{ins.pk}", "selector": [{"type": "TextPositionSelector", "start": 0, "end": 2}]}]})

    def ids(url: str) -> list[int]:
        r = viewer.get(url)
        assert r.status_code == 200, r.content
        return [row["id"] for row in r.json()["results"]]

    assert ids("/api/v1/lines/?search=zzzqqq") == []
    assert ids("/api/v1/lines/?search=paques") == [archive["lines"][1].pk]
    assert len(ids("/api/v1/lines/")) == 3
    assert ids("/api/v1/inscriptions/?search=zzzqqq") == []
    assert len(ids("/api/v1/inscriptions/?search=verdun")) == 1
    assert ids("/api/v1/annotations/?search=zzzqqq") == []
    assert len(ids("/api/v1/annotations/?search=legataire")) == 1
    # the stranger's lines with the same words never come back
    assert ids("/api/v1/lines/?search=testament") == []


def test_search_parameter_is_refused_where_there_is_nothing_to_search(client_for, archive):
    r = client_for("viewer").get("/api/v1/comparisons/?search=zzzqqq")
    assert r.status_code == 400 and r.json()["error"]["code"] == "search_not_supported"
    assert client_for("viewer").get("/api/v1/comparisons/").status_code == 200
