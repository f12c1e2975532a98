"""Found by bench/fuzz.sh on PostgreSQL (issue 20): a line of a page that was removed from its document could still
be patched, and moving it in the reading order answered 500 (the page lock did not find the removed page). Layout
acts on a removed page are now a 409 in the error shape, and nothing changes."""
from __future__ import annotations

import pytest


@pytest.mark.parametrize("change", [{"order": 0}, {"polygon": [[0, 0], [200, 0], [200, 30], [0, 30]]}])
def test_layout_of_a_removed_page_is_refused_with_409(client_for, laid_out, change):
    from archive.models import GeometryRevision, Line

    client = client_for("curator")
    assert client.post(f"/api/v1/pages/{laid_out['page'].pk}/remove/").status_code == 200
    line = laid_out["lines"][2]
    before = (list(Line.objects.filter(page=laid_out["page"]).values_list("pk", "order", "polygon")),
              GeometryRevision.objects.count())
    response = client.patch(f"/api/v1/lines/{line.pk}/", change, format="json")
    assert response.status_code == 409, response.content
    assert response.json()["error"]["code"] == "page_removed"
    after = (list(Line.objects.filter(page=laid_out["page"]).values_list("pk", "order", "polygon")),
             GeometryRevision.objects.count())
    assert after == before


def test_a_patch_response_keeps_created_by_when_no_user_drew_the_line(client_for, laid_out):
    """Found by bench/fuzz.sh too: DRF left ``created_by`` out of a partial update's response when it was null."""
    line = laid_out["lines"][0]
    assert line.created_by_id is None
    response = client_for("curator").patch(f"/api/v1/lines/{line.pk}/", {"external_id": "l-1"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert "created_by" in body and body["created_by"] is None and body["external_id"] == "l-1"
    assert client_for("curator").get(f"/api/v1/lines/{line.pk}/").json().keys() == body.keys()
