"""REST API of inscriptions and layers: who may read and write, versions, history, restore, withdraw."""
from __future__ import annotations

import pytest

from inscription.models import Inscription
from inscription.services.inscriptions import create_inscription

WRITE_OK = {"curator", "owner", "admin"}
READ_OK = {"viewer", "curator", "owner", "admin"}
EVERYONE = ["anonymous", "stranger", "viewer", "curator", "owner"]


def expected_write_status(who: str, ok: int) -> set[int]:
    if who in WRITE_OK:
        return {ok}
    if who == "anonymous":
        return {401, 403}
    if who == "stranger":
        return {404}  # the collection's existence is not revealed
    return {403}


@pytest.fixture
def written(users, lines, gt_layer):
    first = create_inscription(layer=gt_layer, line=lines[0], text="Dear Sir", user=users["curator"])
    second = create_inscription(layer=gt_layer, line=lines[0], text="Dear Sir,", user=users["curator"])
    return first, second


@pytest.mark.parametrize("who", EVERYONE)
def test_list_current_inscriptions_of_a_line(client_for, who, written, lines):
    response = client_for(who).get("/api/v1/inscriptions/", {"line": lines[0].pk})
    assert response.status_code == 200
    results = response.json()["results"]
    if who in READ_OK:
        assert [r["text"] for r in results] == ["Dear Sir,"]
        assert results[0]["version"] == 2 and results[0]["is_current"] and results[0]["agent"] == "curator"
    else:
        assert results == []


def test_history_query_parameter_lists_every_version(client_for, written, lines, page, document, gt_layer):
    client = client_for("viewer")
    for query in ({"line": lines[0].pk}, {"page": page.pk}, {"document": document.pk}, {"layer": gt_layer.pk}):
        body = client.get("/api/v1/inscriptions/", {**query, "history": "1"}).json()
        assert [r["version"] for r in body["results"]] == [1, 2]
        assert len(client.get("/api/v1/inscriptions/", query).json()["results"]) == 1


@pytest.mark.parametrize("who", EVERYONE)
def test_detail_and_history_endpoint(client_for, who, written):
    first, second = written
    client = client_for(who)
    detail = client.get(f"/api/v1/inscriptions/{first.pk}/")
    history = client.get(f"/api/v1/inscriptions/{second.pk}/history/")
    if who in READ_OK:
        assert detail.status_code == 200 and detail.json()["text"] == "Dear Sir"
        assert [v["text"] for v in history.json()] == ["Dear Sir", "Dear Sir,"]
    else:
        assert detail.status_code == history.status_code == 404
        assert "error" in detail.json()


@pytest.mark.parametrize("who", EVERYONE)
def test_create_a_human_version(client_for, who, lines, gt_layer):
    before = Inscription.objects.count()
    response = client_for(who).post("/api/v1/inscriptions/", {"line": lines[1].pk, "layer": gt_layer.pk, "text": "Yours truly"})
    assert response.status_code in expected_write_status(who, 201), response.content
    if response.status_code == 201:
        body = response.json()
        assert body["text"] == "Yours truly" and body["version"] == 1 and body["action"] == "write"
        assert Inscription.objects.count() == before + 1
    else:
        assert Inscription.objects.count() == before


def test_create_by_layer_name_makes_a_ground_truth_layer_and_three_edits_keep_four_versions(client_for, lines):
    client = client_for("curator")
    ids = []
    for text in ["a", "ab", "abc", "abcd"]:
        response = client.post("/api/v1/inscriptions/", {"line": lines[2].pk, "layer_name": "my reading", "text": text})
        assert response.status_code == 201
        ids.append(response.json()["id"])
    history = client.get(f"/api/v1/inscriptions/{ids[-1]}/history/").json()
    assert [v["version"] for v in history] == [1, 2, 3, 4]
    restored = client.post(f"/api/v1/inscriptions/{ids[0]}/restore/")
    assert restored.status_code == 201
    assert restored.json()["version"] == 5 and restored.json()["text"] == "a" and restored.json()["restored_from"] == ids[0]
    layers = client.get("/api/v1/layers/", {"document": lines[2].page.document_id}).json()["results"]
    assert [(layer["name"], layer["kind"], layer["total_inscriptions"]) for layer in layers] == [("my reading", "ground_truth", 5)]


@pytest.mark.parametrize(
    "payload, code",
    [
        ({"text": "no target", "layer_name": "x"}, 400),
        ({"line": 1, "text": "no layer"}, 400),
        ({"line": 10**9, "layer_name": "x", "text": "t"}, 404),
        ({"line": "abc", "layer_name": "x", "text": "t"}, 400),
        ({"layer_name": "x"}, 400),
    ],
)
def test_bad_create_requests_store_nothing(client_for, lines, payload, code):
    response = client_for("curator").post("/api/v1/inscriptions/", payload)
    assert response.status_code == code
    assert set(response.json()["error"]) == {"code", "message", "detail"}
    assert Inscription.objects.count() == 0


def test_a_layer_of_another_document_is_refused(client_for, collection, lines):
    from archive.models import Document
    from inscription.services.layers import get_or_create_layer

    other_layer = get_or_create_layer(Document.objects.create(collection=collection, title="Other"), "ground truth")
    response = client_for("curator").post("/api/v1/inscriptions/", {"line": lines[0].pk, "layer": other_layer.pk, "text": "x"})
    assert response.status_code == 400 and response.json()["error"]["code"] == "bad_layer"
    assert Inscription.objects.count() == 0


@pytest.mark.parametrize("who", EVERYONE)
def test_restore(client_for, who, written):
    first, _ = written
    before = Inscription.objects.count()
    response = client_for(who).post(f"/api/v1/inscriptions/{first.pk}/restore/")
    assert response.status_code in expected_write_status(who, 201)
    assert Inscription.objects.count() == before + (1 if response.status_code == 201 else 0)


def test_restoring_the_current_version_is_a_400(client_for, written):
    _, current = written
    response = client_for("curator").post(f"/api/v1/inscriptions/{current.pk}/restore/")
    assert response.status_code == 400 and response.json()["error"]["code"] == "already_current"


@pytest.mark.parametrize("who", EVERYONE)
def test_withdraw(client_for, who, written):
    _, current = written
    response = client_for(who).post(f"/api/v1/inscriptions/{current.pk}/withdraw/", {"reason": "wrong line"})
    assert response.status_code in expected_write_status(who, 201)
    if response.status_code == 201:
        assert response.json()["withdrawn"] and response.json()["extra"]["reason"] == "wrong line"
        again = client_for(who).post(f"/api/v1/inscriptions/{current.pk}/withdraw/")
        assert again.status_code == 400
    assert Inscription.objects.filter(pk=current.pk, text="Dear Sir,").exists()


def test_no_delete_or_update_endpoints(client_for, written):
    first, _ = written
    client = client_for("owner")
    for method in ("delete", "put", "patch"):
        assert getattr(client, method)(f"/api/v1/inscriptions/{first.pk}/").status_code == 405
    assert Inscription.objects.count() == 2


@pytest.mark.parametrize("who", EVERYONE)
def test_layers_of_a_document(client_for, who, written, document, gt_layer):
    client = client_for(who)
    listing = client.get("/api/v1/layers/", {"document": document.pk})
    detail = client.get(f"/api/v1/layers/{gt_layer.pk}/")
    if who in READ_OK:
        assert listing.status_code == 200 and detail.status_code == 200
        [layer] = listing.json()["results"]
        assert layer["name"] == "ground truth" and layer["current_inscriptions"] == 1 and layer["total_inscriptions"] == 2
    else:
        assert listing.status_code == detail.status_code == 404
    assert client.get("/api/v1/layers/", {"document": "nope"}).status_code == 404


def test_page_filter_is_not_mistaken_for_a_page_number(client_for, users, document, page, gt_layer):
    from archive.models import Page
    from tests.inscription.helpers import make_lines

    far = Page.objects.create(pk=4242, document=document, order=7, image=page.image, width=page.width, height=page.height)
    for line in make_lines(far, 3):
        create_inscription(layer=gt_layer, line=line, text=f"line {line.order}", user=users["curator"])
    client = client_for("viewer")
    body = client.get("/api/v1/inscriptions/", {"page": far.pk, "page_size": 2}).json()
    assert body["count"] == 3 and len(body["results"]) == 2 and "p=2" in body["next"]
    assert len(client.get("/api/v1/inscriptions/", {"page": far.pk, "page_size": 2, "p": 2}).json()["results"]) == 1

