"""Reflections: sanitised rendering, citations (stored, queryable, checked against rights), versions, permissions."""
from __future__ import annotations

import pytest

from inscription.annotations.rendering import find_citations, render

ROLES = ("anonymous", "viewer", "curator", "owner", "stranger")


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def items(users, document, lines, gt_layer):
    """An inscription, an annotation on it and a comparison, all in the members' collection."""
    from inscription.services.annotations import create_annotation
    from inscription.services.compare import request_comparison
    from inscription.services.inscriptions import create_inscription

    ins = create_inscription(layer=gt_layer, line=lines[0], text="Dear Anna", user=users["curator"])
    annotation = create_annotation(users["curator"], {"target": [{"source": f"inscription:{ins.pk}"}]})
    comparison, _ = request_comparison(users["curator"], {"layer": gt_layer.pk}, {"layer": gt_layer.pk})
    return {"inscription": ins, "annotation": annotation, "comparison": comparison, "document": document}


@pytest.fixture
def hidden_document(users):
    from archive.models import Collection, Document

    hidden = Collection.objects.create(slug="hidden", title="Hidden", owner=users["stranger"])
    return Document.objects.create(collection=hidden, title="Secret diary")


def write(client, collection, body="Text", title="On letters"):
    return client.post("/api/v1/reflections/", {"collection": collection.pk, "title": title, "body": body}, format="json")


HOSTILE = """# Reading

<script>alert('x')</script>
<img src="x" onerror="alert(1)">
[click](javascript:alert(2)) and <a href="JaVaScRiPt:alert(3)" onclick="steal()">there</a>
<a href="java&#115;cript:alert(4)">encoded</a> <iframe src="https://evil.example"></iframe>
<p style="background:url(javascript:alert(5))" onmouseover="x()">styled</p>
[fine](https://example.org/a?b=1)
"""


def test_hostile_markdown_renders_inert():
    html = render(HOSTILE, lambda c: None)
    lowered = html.lower()
    for bad in ("<script", "onerror", "onclick", "onmouseover", "javascript:", "<iframe", "style=", "<img", "alert(1)"):
        assert bad not in lowered, (bad, html)
    assert '<a href="https://example.org/a?b=1" rel="noopener noreferrer nofollow">fine</a>' in html
    assert "<h1>Reading</h1>" in html


def test_citations_render_as_links_and_a_reference_list():
    source = "See [@annotation:12], then [@document:7] and again [@annotation:12]; not [@shelf:3]."
    assert [c.ref for c in find_citations(source)] == ["annotation:12", "document:7"]
    html = render(source, lambda c: f"https://a.example/{c.kind}/{c.pk}" if c.kind == "annotation" else None)
    assert html.count('href="https://a.example/annotation/12"') == 3  # two citations + the reference list
    assert '<sup class="citation unresolved">[2?]</sup>' in html and "document 7 (not available)" in html
    assert "[@shelf:3]" in html and '<li id="ref-1">' in html


def test_citations_are_stored_and_queryable(client_for, collection, items):
    from inscription.models import Citation

    client = client_for("curator")
    a, d = items["annotation"], items["document"]
    body = f"The line [@inscription:{items['inscription'].pk}] was read as [@annotation:{a.pk}] ([@comparison:{items['comparison'].pk}])."
    created = write(client, collection, body + f" See [@document:{d.pk}].")
    assert created.status_code == 201, created.content
    data = created.json()
    assert [c["ref"] for c in data["citations"]] == [f"inscription:{items['inscription'].pk}", f"annotation:{a.pk}",
                                                     f"comparison:{items['comparison'].pk}", f"document:{d.pk}"]
    assert f'href="http://testserver/api/v1/annotations/{a.pk}/"' in data["html"]
    assert Citation.objects.filter(ref=f"annotation:{a.pk}").count() == 1
    other = write(client, collection, "Nothing cited", title="Other").json()
    listed = client_for("viewer").get(f"/api/v1/reflections/?cites=annotation:{a.pk}").json()["results"]
    assert [r["id"] for r in listed] == [data["id"]]
    # Editing the citation away: the current version no longer cites it, the old version still records it.
    edited = client.patch(f"/api/v1/reflections/{data['id']}/", {"body": "Rewritten without citations."}, format="json")
    assert edited.status_code == 200 and edited.json()["version"] == 2
    assert client_for("viewer").get(f"/api/v1/reflections/?cites=annotation:{a.pk}").json()["results"] == []
    versions = client.get(f"/api/v1/reflections/{data['id']}/versions/").json()
    assert [(v["version"], v["is_current"], f"annotation:{a.pk}" in v["citations"]) for v in versions] == [
        (1, False, True), (2, True, False)]
    assert other["citations"] == []
    assert client.get("/api/v1/reflections/?cites=nonsense").status_code == 400


def test_citing_what_you_cannot_read_is_refused(client_for, collection, hidden_document):
    from inscription.models import Reflection

    for ref in (f"document:{hidden_document.pk}", "annotation:999999", "model:999999"):
        response = write(client_for("curator"), collection, f"Look at [@{ref}].")
        assert response.status_code == 400, response.content
        error = response.json()["error"]
        assert error["code"] == "bad_citation" and ref in error["message"] and error["detail"] == {"citations": [ref]}
    assert not Reflection.objects.exists()


def test_models_are_citable_by_anyone(client_for, collection):
    from tests.inscription.helpers import fake_model_version

    model = fake_model_version()
    response = write(client_for("curator"), collection, f"The recognizer [@model:{model.pk}] struggles with ß.")
    assert response.status_code == 201 and response.json()["citations"][0]["url"].endswith(f"/api/v1/models/{model.pk}/")


def test_readers_do_not_see_links_they_cannot_follow(client_for, users, collection, hidden_document):
    """The stranger can cite their own document; a member of the citing collection sees it as unavailable."""
    from archive.models import Membership, Role, Visibility

    Membership.objects.create(collection=collection, user=users["stranger"], role=Role.CURATOR)
    response = write(client_for("stranger"), collection, f"Compare [@document:{hidden_document.pk}].")
    assert response.status_code == 201
    seen = client_for("viewer").get(f"/api/v1/reflections/{response.json()['id']}/").json()
    assert seen["citations"][0]["available"] is False and seen["citations"][0]["url"] is None
    assert "Secret diary" not in seen["html"] and "/documents/" not in seen["html"]
    assert collection.visibility == Visibility.PRIVATE


def test_preview_for_the_live_editor(client_for, items):
    a = items["annotation"]
    response = client_for("viewer").post("/api/v1/reflections/preview/",
                                         {"body": f"**Bold** [@annotation:{a.pk}] <script>x()</script> [@document:999999]"},
                                         format="json")
    assert response.status_code == 200
    data = response.json()
    assert "<strong>Bold</strong>" in data["html"] and "<script" not in data["html"]
    assert [(c["ref"], c["available"]) for c in data["citations"]] == [(f"annotation:{a.pk}", True), ("document:999999", False)]
    assert client_for("anonymous").post("/api/v1/reflections/preview/", {"body": "x"}, format="json").status_code == 403
    bad = client_for("viewer").post("/api/v1/reflections/preview/", {"body": 5}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_body"


def test_bad_input(client_for, collection):
    client = client_for("curator")
    assert write(client, collection, title="").status_code == 400
    assert client.post("/api/v1/reflections/", {"title": "No collection", "body": ""}, format="json").status_code == 400
    created = write(client, collection).json()
    bad_edit = client.patch(f"/api/v1/reflections/{created['id']}/", {"collection": 5}, format="json")
    assert bad_edit.status_code == 400 and bad_edit.json()["error"]["message"] == "Only title and body can be edited."


@pytest.mark.parametrize("who, expected", [("anonymous", 403), ("stranger", 400), ("viewer", 403), ("curator", 201), ("owner", 201)])
def test_create_permissions(client_for, collection, who, expected):
    assert write(client_for(who), collection).status_code == expected


@pytest.mark.parametrize("who, read, edit, withdraw", [
    ("anonymous", 404, 403, 403), ("stranger", 404, 404, 404), ("viewer", 200, 403, 403),
    ("curator", 200, 200, 204), ("owner", 200, 200, 204)])
def test_read_edit_withdraw_permissions(client_for, collection, who, read, edit, withdraw):
    from inscription.models import Reflection

    pk = write(client_for("curator"), collection, "first").json()["id"]
    client = client_for(who)
    assert client.get(f"/api/v1/reflections/{pk}/").status_code == read
    assert client.get(f"/api/v1/reflections/{pk}/versions/").status_code == read
    assert client.patch(f"/api/v1/reflections/{pk}/", {"body": "second"}, format="json").status_code == edit
    assert client.delete(f"/api/v1/reflections/{pk}/").status_code == withdraw
    row = Reflection.objects.get(pk=pk)  # never deleted
    assert row.withdrawn is (withdraw == 204)
    assert row.versions.count() == (3 if withdraw == 204 else 1)
    assert [v.body for v in row.versions.order_by("version")][0] == "first"
