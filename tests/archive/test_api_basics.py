"""Schema, docs, token auth, error shape, filters, ETags, thumbnails and the database in use."""
from __future__ import annotations

import os
import re

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_schema_is_valid_openapi_3(client):
    from openapi_spec_validator import validate

    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    validate(schema)
    for path in ("/api/v1/documents/", "/api/v1/collections/{slug}/ingest/", "/api/v1/pages/{id}/thumbnail/",
                 "/api/v1/collections/{collection_slug}/members/{username}/", "/api/v1/auth/token/"):
        assert path in schema["paths"], path


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_docs_render_with_local_assets_only(client, url):
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    external = [u for u in re.findall(r"""(?:src|href)\s*=\s*["'](https?://[^"']+)""", html) if "testserver" not in u]
    assert external == []
    assert not re.search(r"https?://(?!testserver)[\w.-]+\.(?:com|net|org|io)/[^\s\"']*\.(?:js|css)", html)
    assert "/static/" in html


def test_postgresql_when_database_url_says_so():
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.skip("DATABASE_URL is not PostgreSQL")
    assert connection.vendor == "postgresql"


def test_token_auth_round_trip(client, users):
    from rest_framework.test import APIClient

    response = client.post("/api/v1/auth/token/", {"username": "viewer", "password": "pw-12345678"})
    assert response.status_code == 200
    token = response.json()["token"]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/collections/letters/").status_code == 404  # no collection yet, but authenticated
    bad = client.post("/api/v1/auth/token/", {"username": "viewer", "password": "wrong"})
    assert bad.status_code == 400 and set(bad.json()["error"]) == {"code", "message", "detail"}


def test_token_reaches_private_collection(client, collection):
    from rest_framework.test import APIClient

    token = client.post("/api/v1/auth/token/", {"username": "viewer", "password": "pw-12345678"}).json()["token"]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/collections/letters/").json()["my_role"] == "viewer"


@pytest.mark.parametrize(
    ("method", "url", "payload", "status", "code"),
    [
        ("get", "/api/v1/documents/999999/", None, 404, "not_found"),
        ("post", "/api/v1/documents/", {"collection": "letters"}, 400, "invalid"),
        ("post", "/api/v1/documents/", {"collection": "letters", "title": "x", "year_from": 1900, "year_to": 1800}, 400, "invalid"),
        ("post", "/api/v1/lines/", {"page": "{page}", "polygon": [[0, 0], [5000, 0], [0, 5]]}, 400, "invalid_geometry"),
        ("post", "/api/v1/lines/", {"page": "{page}", "polygon": [[0, 0]]}, 400, "invalid"),
        ("get", "/api/v1/pages/{page}/thumbnail/?size=17", None, 400, "invalid_size"),
        ("post", "/api/v1/collections/", {"slug": "letters", "title": "dup"}, 400, "invalid"),
    ],
)
def test_error_shape(method, url, payload, status, code, client_for, scan):
    page = scan["page"].pk
    url = url.replace("{page}", str(page))
    if isinstance(payload, dict) and payload.get("page") == "{page}":
        payload["page"] = page
    response = getattr(client_for("curator"), method)(url, payload, format="json") if payload else getattr(client_for("curator"),
                                                                                                          method)(url)
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "detail"}
    assert body["error"]["code"] == code and isinstance(body["error"]["message"], str) and body["error"]["message"]


def test_page_image_etag_and_304(client_for, scan):
    client = client_for("viewer")
    url = f"/api/v1/pages/{scan['page'].pk}/image/"
    first = client.get(url)
    assert first["ETag"] == f'"{scan["page"].image_id}"'
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again["ETag"] == first["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH='"other"').status_code == 200
    assert client.get(url, HTTP_ACCEPT="image/png").status_code == 200


def test_hidden_page_image_is_json_404_even_when_asking_for_an_image(client_for, scan):
    response = client_for("stranger").get(f"/api/v1/pages/{scan['page'].pk}/image/", HTTP_ACCEPT="image/png")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "not_found"


def test_thumbnail_is_generated_once_and_cached_on_disk(client_for, scan, settings):
    from io import BytesIO

    from PIL import Image

    from archive.services.thumbnails import thumbnail_name

    client = client_for("viewer")
    url = f"/api/v1/pages/{scan['page'].pk}/thumbnail/?size=128"
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    image = Image.open(BytesIO(b"".join(response.streaming_content)))
    assert max(image.size) == 128 and image.size == (128, 64)
    cached = settings.MEDIA_ROOT / thumbnail_name(scan["page"].image_id, 128)
    assert cached.exists()
    cached.write_bytes(b"marker")  # a second request must serve the cached file, not re-render
    assert b"".join(client.get(url).streaming_content) == b"marker"
    assert client.get(url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    assert response["ETag"] == f'"{scan["page"].image_id}-128"'


def test_document_filters(client_for, collection, users):
    from archive.models import Document, Tag

    make = Document.objects.create
    docs = {
        "a": make(collection=collection, title="Alpha letter", creator="Ada", year_from=1840, year_to=1850, language="en"),
        "b": make(collection=collection, title="Beta", creator="Byron", year_from=1855, language="fr", kind="text"),
        "c": make(collection=collection, title="Gamma", creator="Clare", year_to=1830),
        "d": make(collection=collection, title="Delta undated", creator="Ada Lovelace"),
    }
    docs["a"].tags.add(Tag.objects.create(name="letters"))
    client = client_for("viewer")

    def titles(query: str) -> set[str]:
        response = client.get(f"/api/v1/documents/?{query}")
        assert response.status_code == 200, response.json()
        return {d["title"] for d in response.json()["results"]}

    assert titles("year_from=1845&year_to=1846") == {"Alpha letter"}  # overlap inside a range
    assert titles("year_from=1850") == {"Alpha letter", "Beta"}
    assert titles("year_to=1840") == {"Alpha letter", "Gamma"}
    assert titles("year_from=1831&year_to=1839") == set()
    assert titles("kind=text") == {"Beta"}
    assert titles("language=FR") == {"Beta"}
    assert titles("tag=letters") == {"Alpha letter"}
    assert titles("search=ada") == {"Alpha letter", "Delta undated"}
    assert titles("collection=letters") == set(d.title for d in docs.values())
    assert titles(f"collection_id={collection.pk}&search=letter") == {"Alpha letter"}
    assert titles("collection=other") == set()
    ordered = client.get("/api/v1/documents/?ordering=-title").json()["results"]
    assert [d["title"] for d in ordered] == ["Gamma", "Delta undated", "Beta", "Alpha letter"]
    paged = client.get("/api/v1/documents/?page_size=2&ordering=title").json()
    assert paged["count"] == 4 and len(paged["results"]) == 2 and paged["next"]


def test_line_edits_are_attributed_to_the_editor(client_for, scan, users):
    from archive.models import Line

    line = scan["line"]
    Line.objects.filter(pk=line.pk).update(source="machine", created_by=None)
    response = client_for("owner").patch(f"/api/v1/lines/{line.pk}/", {"polygon": [[0, 0], [50, 0], [50, 9]]}, format="json")
    assert response.status_code == 200
    assert response.json()["source"] == "human" and response.json()["created_by"] == "owner"
    created = client_for("curator").post("/api/v1/lines/", {"page": scan["page"].pk, "polygon": [[0, 50], [9, 50], [9, 60]]},
                                         format="json")
    assert created.status_code == 201
    assert created.json()["created_by"] == "curator" and created.json()["order"] == 1


def test_collection_create_makes_the_creator_owner(client_for, users):
    response = client_for("stranger").post("/api/v1/collections/", {"slug": "mine", "title": "Mine"}, format="json")
    assert response.status_code == 201
    assert response.json()["owner"] == "stranger" and response.json()["my_role"] == "owner"


def test_owner_role_cannot_be_removed_from_the_collection_owner(client_for, collection):
    client = client_for("owner")
    assert client.delete("/api/v1/collections/letters/members/owner/").status_code == 409
    assert client.patch("/api/v1/collections/letters/members/owner/", {"role": "viewer"}, format="json").status_code == 409
    assert client.post("/api/v1/collections/letters/members/", {"user": "viewer", "role": "curator"},
                       format="json").status_code == 409


def test_member_changes_take_effect(client_for, collection, scan):
    owner = client_for("owner")
    assert owner.post("/api/v1/collections/letters/members/", {"user": "stranger", "role": "viewer"}, format="json").status_code == 201
    assert client_for("stranger").get(f"/api/v1/documents/{scan['document'].pk}/").status_code == 200
    assert owner.patch("/api/v1/collections/letters/members/viewer/", {"role": "curator"}, format="json").json()["role"] == "curator"
    assert client_for("viewer").patch(f"/api/v1/documents/{scan['document'].pk}/", {"title": "t"}, format="json").status_code == 200
    assert owner.delete("/api/v1/collections/letters/members/stranger/").status_code == 204
    assert client_for("stranger").get(f"/api/v1/documents/{scan['document'].pk}/").status_code == 404


def test_lines_filter_by_any_scan_page_id_and_page_through_with_p(client_for, scan):
    """``?page=`` is the scan-page filter on lines; a high page id must not be read as a page number."""
    from archive.models import Line, Page

    page = scan["page"]
    # A second scan page whose id is far above the number of result pages.
    moved = Page.objects.create(id=page.pk + 1000, document=page.document, image=page.image, width=page.width,
                                height=page.height, order=page.order + 1)
    for order in range(1, 4):
        Line.objects.create(page=moved, polygon=[[0, order * 10], [9, order * 10], [9, order * 10 + 5]], order=order)
    client = client_for("viewer")
    listed = client.get("/api/v1/lines/", {"page": moved.pk, "page_size": 2})
    assert listed.status_code == 200
    assert listed.json()["count"] == Line.objects.filter(page=moved).count()
    second = client.get("/api/v1/lines/", {"page": moved.pk, "page_size": 2, "p": 2}).json()
    assert len(second["results"]) == Line.objects.filter(page=moved).count() - 2
