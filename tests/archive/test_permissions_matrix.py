"""Every holdings endpoint × anonymous / viewer / curator / owner / stranger on a private collection.

Rules proven here (archive/permissions.py): no role on a private collection → 404, whatever the
method; a viewer reads; a curator writes; only an owner manages members and the collection itself.
Anonymous writes are refused with 403 (DRF: session auth first, so no WWW-Authenticate challenge).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.archive.samples import image_bytes

ROLES = ("anonymous", "stranger", "viewer", "curator", "owner")


@dataclass
class Case:
    name: str
    method: str
    url: str  # formatted with the objects of the fixture world
    expected: dict[str, int]
    payload: Any = None
    multipart: bool = False


def by_role(anonymous: int, stranger: int, viewer: int, curator: int, owner: int) -> dict[str, int]:
    return dict(zip(ROLES, (anonymous, stranger, viewer, curator, owner), strict=True))


READ = by_role(404, 404, 200, 200, 200)
LIST = by_role(200, 200, 200, 200, 200)
WRITE = lambda ok: by_role(403, 404, 403, ok, ok)  # noqa: E731
MANAGE = lambda ok: by_role(403, 404, 403, 403, ok)  # noqa: E731
MANAGE_READ = by_role(404, 404, 403, 403, 200)

CASES = [
    Case("collections list", "get", "/api/v1/collections/", LIST),
    Case("collection create", "post", "/api/v1/collections/", by_role(403, 201, 201, 201, 201), {"slug": "new", "title": "New"}),
    Case("collection detail", "get", "/api/v1/collections/letters/", READ),
    Case("collection update", "patch", "/api/v1/collections/letters/", MANAGE(200), {"description": "changed"}),
    Case("collection delete (not offered)", "delete", "/api/v1/collections/letters/", by_role(403, 405, 405, 405, 405)),
    Case("members list", "get", "/api/v1/collections/letters/members/", MANAGE_READ),
    Case("member detail", "get", "/api/v1/collections/letters/members/viewer/", MANAGE_READ),
    Case("member add", "post", "/api/v1/collections/letters/members/", MANAGE(201), {"user": "stranger", "role": "viewer"}),
    Case("member role change", "patch", "/api/v1/collections/letters/members/viewer/", MANAGE(200), {"role": "curator"}),
    Case("member remove", "delete", "/api/v1/collections/letters/members/viewer/", MANAGE(204)),
    Case("ingest", "post", "/api/v1/collections/letters/ingest/", WRITE(201), "png", multipart=True),
    Case("documents list", "get", "/api/v1/documents/", LIST),
    Case("document detail", "get", "/api/v1/documents/{document}/", READ),
    Case("document create", "post", "/api/v1/documents/", WRITE(201), {"collection": "letters", "title": "New letter"}),
    Case("document update", "patch", "/api/v1/documents/{document}/", WRITE(200), {"title": "Renamed"}),
    Case("document delete", "delete", "/api/v1/documents/{document}/", WRITE(204)),
    Case("pages list", "get", "/api/v1/pages/", LIST),
    Case("page detail", "get", "/api/v1/pages/{page}/", READ),
    Case("page image", "get", "/api/v1/pages/{page}/image/", READ),
    Case("page thumbnail", "get", "/api/v1/pages/{page}/thumbnail/?size=128", READ),
    Case("page update", "patch", "/api/v1/pages/{page}/", WRITE(200), {"label": "f. 1r"}),
    Case("page delete", "delete", "/api/v1/pages/{page}/", WRITE(204)),
    Case("lines list", "get", "/api/v1/lines/", LIST),
    Case("line detail", "get", "/api/v1/lines/{line}/", READ),
    Case("line create", "post", "/api/v1/lines/", WRITE(201), {"page": "{page}", "polygon": [[1, 50], [100, 50], [100, 90]]}),
    Case("line update", "patch", "/api/v1/lines/{line}/", WRITE(200), {"order": 3}),
    Case("line delete", "delete", "/api/v1/lines/{line}/", WRITE(204)),
    Case("texts list", "get", "/api/v1/texts/", LIST),
    Case("text detail", "get", "/api/v1/texts/{text}/", READ),
    Case("text create", "post", "/api/v1/texts/", WRITE(201), {"document": "{empty_text_document}", "content": "Dear Sir,"}),
    Case("text update", "patch", "/api/v1/texts/{text}/", WRITE(200), {"content": "Fellow citizens of the Senate."}),
    Case("text delete", "delete", "/api/v1/texts/{text}/", WRITE(204)),
]


def _fill(value: Any, ids: dict[str, int]) -> Any:
    if isinstance(value, str) and value.startswith("{") and value.endswith("}") and value[1:-1] in ids:
        return ids[value[1:-1]]
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_endpoint_by_role(case: Case, role: str, client_for, scan, text_doc):
    ids = {"document": scan["document"].pk, "page": scan["page"].pk, "line": scan["line"].pk, "text": text_doc["text"].pk,
           "empty_text_document": text_doc["empty"].pk}
    client = client_for(role)
    url = _fill(case.url, ids)
    if case.multipart:
        from django.core.files.uploadedfile import SimpleUploadedFile

        upload = SimpleUploadedFile("new.png", image_bytes(), content_type="image/png")
        response = client.post(url, {"files": [upload]}, format="multipart")
    elif case.payload is None:
        response = getattr(client, case.method)(url)
    else:
        response = getattr(client, case.method)(url, _fill(case.payload, ids), format="json")
    assert response.status_code == case.expected[role], (role, case.name, getattr(response, "data", None))
    if response.status_code >= 400:
        assert set(response.json()["error"]) == {"code", "message", "detail"}


@pytest.mark.parametrize("role", ROLES)
def test_lists_show_only_readable_objects(role, client_for, scan, text_doc):
    client = client_for(role)
    sees = role in ("viewer", "curator", "owner")
    expectations = {
        "/api/v1/collections/": "letters",
        "/api/v1/documents/": scan["document"].pk,
        "/api/v1/pages/": scan["page"].pk,
        "/api/v1/lines/": scan["line"].pk,
        "/api/v1/texts/": text_doc["text"].pk,
    }
    for url, key in expectations.items():
        body = client.get(url).json()
        keys = {item.get("slug", item["id"]) if url.endswith("collections/") else item["id"] for item in body["results"]}
        assert (key in keys) is sees, (role, url, keys)


@pytest.mark.parametrize(
    ("visibility", "expected"),
    [("public", {"anonymous": 200, "stranger": 200}), ("shared", {"anonymous": 404, "stranger": 200})],
)
def test_public_and_shared_collections_are_readable_but_not_writable(visibility, expected, collection, client_for, scan):
    collection.visibility = visibility
    collection.save()
    for role, code in expected.items():
        client = client_for(role)
        assert client.get(f"/api/v1/documents/{scan['document'].pk}/").status_code == code
        assert client.get(f"/api/v1/pages/{scan['page'].pk}/image/").status_code == code
        write = client.patch(f"/api/v1/documents/{scan['document'].pk}/", {"title": "x"}, format="json")
        assert write.status_code == (403 if code == 200 else (403 if role == "anonymous" else 404))


def test_superuser_reads_and_writes_everything(client_for, scan):
    client = client_for("admin")
    assert client.get(f"/api/v1/documents/{scan['document'].pk}/").status_code == 200
    assert client.patch(f"/api/v1/documents/{scan['document'].pk}/", {"title": "x"}, format="json").status_code == 200


def test_hidden_collection_reference_in_body_is_404_like_a_missing_one(client_for, scan):
    client = client_for("stranger")
    hidden = client.post("/api/v1/documents/", {"collection": "letters", "title": "x"}, format="json")
    missing = client.post("/api/v1/documents/", {"collection": "no-such", "title": "x"}, format="json")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"]["code"] == missing.json()["error"]["code"] == "not_found"
