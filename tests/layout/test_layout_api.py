"""The layout operations over the REST API: each works for a curator, a viewer is refused, bad geometry is a 400
that stores nothing, and the operations are in the OpenAPI schema."""
from __future__ import annotations

import pytest

from tests.layout.test_layout_services import SELF_CROSSING, counts

pytestmark = pytest.mark.django_db


def test_each_operation(client_for, laid_out):
    from archive.models import Line
    from inscription.models import Inscription

    api = client_for("curator")
    page, (a, b, c) = laid_out["page"], laid_out["lines"]
    # add a missing line (baseline derived), then drag a baseline point
    added = api.post("/api/v1/lines/", {"page": page.pk, "polygon": [[20, 42], [380, 42], [380, 58], [20, 58]]}, format="json")
    assert added.status_code == 201, added.json()
    new = added.json()
    assert new["order"] == 1 and len(new["baseline"]) == 2 and new["version"] == 1
    moved = api.patch(f"/api/v1/lines/{new['id']}/", {"baseline": [[20, 55], [200, 57], [380, 55]]}, format="json")
    assert moved.status_code == 200 and moved.json()["baseline"][1] == [200, 57] and moved.json()["version"] == 2
    revisions = api.get(f"/api/v1/lines/{new['id']}/revisions/").json()
    assert [r["action"] for r in revisions] == ["create", "edit"]
    assert revisions[0]["baseline"] == new["baseline"]  # the old geometry is kept
    # split and merge
    split = api.post(f"/api/v1/lines/{a.pk}/split/", {"x": 150}, format="json")
    assert split.status_code == 201, split.json()
    right = split.json()["right"]
    assert Inscription.objects.filter(line_id=right, is_current=True).count() == 2
    merged = api.post(f"/api/v1/lines/{a.pk}/merge/", {"other": right}, format="json")
    assert merged.status_code == 200, merged.json()
    assert not Line.objects.filter(pk=right).exists()
    assert Inscription.objects.get(line=a, layer=laid_out["truth"], is_current=True).text == laid_out["truth_ins"][0].text
    # reorder (mouse drag in the editor), move one line (keyboard), delete
    ids = [c.pk, b.pk, new["id"], a.pk]
    reordered = api.post("/api/v1/lines/reorder/", {"page": page.pk, "lines": ids}, format="json")
    assert reordered.status_code == 200 and [ln["id"] for ln in reordered.json()] == ids
    assert api.patch(f"/api/v1/lines/{a.pk}/", {"order": 0}, format="json").status_code == 200
    assert list(Line.objects.filter(page=page).order_by("order").values_list("pk", flat=True))[0] == a.pk
    assert api.delete(f"/api/v1/lines/{b.pk}/").status_code == 204
    assert api.get(f"/api/v1/lines/{b.pk}/").status_code == 404
    history = api.get("/api/v1/geometry-revisions/", {"page": page.pk, "line": b.pk}).json()["results"]
    assert history[-1]["action"] == "delete" and history[-1]["retired"] is True


def test_region_endpoints(client_for, laid_out):
    api = client_for("curator")
    page = laid_out["page"]
    made = api.post("/api/v1/regions/", {"page": page.pk, "polygon": [[0, 0], [400, 0], [400, 85], [0, 85]],
                                         "kind": "MainZone"}, format="json")
    assert made.status_code == 201, made.json()
    region = made.json()
    assert sorted(region["lines"]) == sorted(ln.pk for ln in laid_out["lines"][:2])
    retyped = api.patch(f"/api/v1/regions/{region['id']}/", {"kind": "MarginTextZone"}, format="json")
    assert retyped.status_code == 200 and retyped.json()["kind"] == "MarginTextZone"
    reshaped = api.patch(f"/api/v1/regions/{region['id']}/", {"polygon": [[0, 0], [300, 0], [300, 85], [0, 85]]}, format="json")
    assert reshaped.status_code == 200 and reshaped.json()["version"] == 3
    assert [r["action"] for r in api.get("/api/v1/geometry-revisions/", {"region": region["id"]}).json()["results"]] == \
        ["create", "retype", "edit"]
    assert api.get("/api/v1/regions/", {"page": page.pk}).json()["count"] == 1
    line = laid_out["lines"][2]
    assert api.patch(f"/api/v1/lines/{line.pk}/", {"region": region["id"]}, format="json").json()["region"] == region["id"]
    assert api.delete(f"/api/v1/regions/{region['id']}/").status_code == 204
    assert api.get("/api/v1/regions/", {"page": page.pk}).json()["count"] == 0


@pytest.mark.parametrize("who,status", [("viewer", 403), ("stranger", 404), ("anonymous", (401, 403, 404))])
def test_viewer_and_strangers_are_refused(client_for, laid_out, who, status):
    api = client_for(who)
    page, line = laid_out["page"], laid_out["lines"][0]
    region_body = {"page": page.pk, "polygon": [[0, 0], [50, 0], [50, 50]]}
    calls = [
        ("post", "/api/v1/lines/", {"page": page.pk, "polygon": [[20, 42], [380, 42], [380, 58]]}),
        ("patch", f"/api/v1/lines/{line.pk}/", {"baseline": [[0, 30], [300, 30]]}),
        ("post", f"/api/v1/lines/{line.pk}/split/", {"x": 100}),
        ("post", "/api/v1/lines/", {"page": page.pk, "baseline": [[20, 55], [380, 57]]}),
        ("post", f"/api/v1/lines/{line.pk}/fit/", {}),
        ("post", f"/api/v1/lines/{line.pk}/merge/", {"other": laid_out["lines"][1].pk}),
        ("post", "/api/v1/lines/reorder/", {"page": page.pk, "lines": [ln.pk for ln in reversed(laid_out["lines"])]}),
        ("delete", f"/api/v1/lines/{line.pk}/", None),
        ("post", "/api/v1/regions/", region_body),
    ]
    before = counts()
    for method, url, body in calls:
        response = getattr(api, method)(url, body, format="json")
        expected = status if isinstance(status, tuple) else (status,)
        assert response.status_code in expected, (url, response.status_code)
    assert counts() == before


def test_a_line_drawn_as_a_baseline_gets_a_polygon_fitted_on_the_scan(client_for, laid_out):
    """eScriptorium's way: draw the baseline, the polygon is found (the segmenter's band at the page's spacing)."""
    from shapely.geometry import Point, Polygon

    from archive.models import Line

    api = client_for("curator")
    page, (a, b, _) = laid_out["page"], laid_out["lines"]
    baseline = [[20, 55], [380, 57]]                          # between lines a (baseline y 35) and b (y 75)
    added = api.post("/api/v1/lines/", {"page": page.pk, "baseline": baseline}, format="json")
    assert added.status_code == 201, added.json()
    line = added.json()
    assert line["baseline"] == baseline and line["order"] == 1 and line["source"] == "human"
    ids = list(Line.objects.filter(page=page).order_by("order").values_list("pk", flat=True))
    assert ids[:3] == [a.pk, line["id"], b.pk]
    shape = Polygon(line["polygon"])
    assert shape.is_valid and shape.contains(Point(200, 52))
    ys = [y for _, y in line["polygon"]]
    assert 55 - 0.65 * 20 - 1 <= min(ys) and max(ys) <= 57 + 0.2 * 20 + 1   # the band between its neighbours
    xs = [x for x, _ in line["polygon"]]
    assert min(xs) >= 19 and max(xs) <= 381
    revisions = api.get(f"/api/v1/lines/{line['id']}/revisions/").json()
    assert [r["action"] for r in revisions] == ["create"] and revisions[0]["polygon"] == line["polygon"]


def test_fit_refits_a_lines_polygon_to_its_baseline_as_a_new_version(client_for, laid_out):
    from shapely.geometry import Polygon

    api = client_for("curator")
    a = laid_out["lines"][0]                         # a 40 px rectangle, baseline at y 35, the next line's at 75
    fitted = api.post(f"/api/v1/lines/{a.pk}/fit/", {}, format="json")
    assert fitted.status_code == 200, fitted.json()
    line = fitted.json()
    assert line["version"] == 2 and line["baseline"] == a.baseline and line["source"] == "human"
    ys = [y for _, y in line["polygon"]]
    assert abs(min(ys) - (35 - 0.65 * 40)) <= 1 and abs(max(ys) - (35 + 0.2 * 40)) <= 1   # the band, no longer the box
    assert Polygon(line["polygon"]).is_valid
    revisions = api.get(f"/api/v1/lines/{a.pk}/revisions/").json()
    assert revisions[0]["polygon"] == a.polygon and revisions[-1]["polygon"] == line["polygon"]


def test_fitting_a_line_without_a_baseline_is_refused(client_for, laid_out):
    from archive.models import Line

    a = laid_out["lines"][0]
    Line.objects.filter(pk=a.pk).update(baseline=[])   # as an old import might have left it
    before = counts()
    response = client_for("curator").post(f"/api/v1/lines/{a.pk}/fit/", {}, format="json")
    assert response.status_code == 400 and "no baseline" in response.json()["error"]["message"]
    assert counts() == before


def test_fitting_a_line_on_an_unreadable_scan_is_a_400_that_stores_nothing(client_for, laid_out):
    page = laid_out["page"]
    with page.image.file.open("wb") as handle:
        handle.write(b"not an image any more")
    before = counts()
    api = client_for("curator")
    for url, body in [("/api/v1/lines/", {"page": page.pk, "baseline": [[20, 55], [380, 57]]}),
                      (f"/api/v1/lines/{laid_out['lines'][0].pk}/fit/", {})]:
        response = api.post(url, body, format="json")
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "scan_unreadable" and "draw its polygon" in error["message"]
    assert counts() == before


@pytest.mark.parametrize(("method", "url", "body", "message"), [
    ("post", "/api/v1/lines/", {"page": "{page}"}, "polygon, its baseline, or both"),
    ("post", "/api/v1/lines/", {"page": "{page}", "baseline": [[10, 10], [9000, 10]]}, "outside the image"),
    ("post", "/api/v1/lines/", {"page": "{page}", "baseline": [[10, 10]]}, "at least 2"),
    ("post", "/api/v1/lines/", {"page": "{page}", "polygon": SELF_CROSSING}, "crosses itself"),
    ("post", "/api/v1/lines/", {"page": "{page}", "polygon": [[10, 10], [9000, 10], [10, 40]]}, "outside the image"),
    ("post", "/api/v1/lines/", {"page": "{page}", "polygon": [[10, 10], [90, 10], [90, 40]], "baseline": []}, "empty"),
    ("patch", "/api/v1/lines/{line}/", {"polygon": SELF_CROSSING}, "crosses itself"),
    ("patch", "/api/v1/lines/{line}/", {"baseline": []}, "empty"),
    ("patch", "/api/v1/lines/{line}/", {"baseline": [[0, 30], [500, 30]]}, "outside the image"),
    ("post", "/api/v1/lines/{line}/split/", {"x": -40}, "not inside the baseline"),
    ("post", "/api/v1/regions/", {"page": "{page}", "polygon": SELF_CROSSING}, "crosses itself"),
    ("post", "/api/v1/regions/", {"page": "{page}", "polygon": [[0, 0], [0, 500], [50, 50]]}, "outside the image"),
])
def test_bad_geometry_is_a_400_that_stores_nothing(client_for, laid_out, method, url, body, message):
    page, line = laid_out["page"], laid_out["lines"][0]
    url = url.format(page=page.pk, line=line.pk)
    body = {k: (page.pk if v == "{page}" else v) for k, v in body.items()}
    before = counts()
    response = getattr(client_for("curator"), method)(url, body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_geometry" and message in error["message"]
    assert counts() == before


def test_layout_operations_are_in_openapi(client_for):
    schema = client_for("anonymous").get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    for path, method in [("/api/v1/lines/{id}/split/", "post"), ("/api/v1/lines/{id}/merge/", "post"),
                         ("/api/v1/lines/reorder/", "post"), ("/api/v1/lines/{id}/fit/", "post"), ("/api/v1/lines/{id}/revisions/", "get"),
                         ("/api/v1/regions/", "post"), ("/api/v1/regions/{id}/", "patch"), ("/api/v1/regions/{id}/", "delete"),
                         ("/api/v1/geometry-revisions/", "get")]:
        assert method in paths[path], (path, method)
    assert "400" in paths["/api/v1/lines/{id}/split/"]["post"]["responses"]
