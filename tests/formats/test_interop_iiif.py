"""IIIF: a cookbook manifest with commenting/tagging annotations reports what it does not keep; polygons and baselines
survive an export → import round trip (issue 19: 9, 12)."""
from __future__ import annotations

import json

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.formats.helpers import import_iiif_job
from tests.formats.interop_helpers import api_import, current, fixture, image
from tests.formats.test_iiif_import import server  # noqa: F401 - the local http.server fixture


def _upload_manifest(client, manifest: dict):
    """The import job, run to its end (202 first; see import_iiif_job)."""
    data = json.dumps(manifest).encode()
    job = import_iiif_job(client, {"manifest": SimpleUploadedFile("m.json", data)}, fmt="multipart")
    assert job.state == "succeeded", job.error
    return job


def test_cookbook_commenting_and_tagging_are_reported_and_svg_lines_kept(collection, client_for, server):  # noqa: F811
    manifest = json.loads(fixture("iiif_cookbook_commenting.json"))
    body = manifest["items"][0]["items"][0]["items"][0]["body"]
    body["id"] = server.add("/img/1.png", image(), ctype="image/png")
    result = _upload_manifest(client_for("curator"), manifest).result
    missing = {item["what"]: item["count"] for item in result["not_kept"]}
    assert missing == {"SvgSelector <path> shapes": 1}
    from archive.models import Document
    from inscription.models import Annotation

    page = Document.objects.get(pk=result["document"]).pages.get()
    line = page.lines.get()
    assert line.polygon == [[100, 300], [400, 300], [400, 350], [100, 350]]
    # commenting and tagging become W3C annotations of the page (whole canvas, and a region)
    assert result["annotations"] == 2
    notes = {a.motivation: a for a in Annotation.objects.filter(document=page.document)}
    assert notes["commenting"].body[0]["value"] == "Göttinger Marktplatz mit Gänseliesel Brunnen"
    assert notes["commenting"].body[0]["language"] == "de"
    assert notes["tagging"].target[0]["selector"][0]["value"] == "xywh=265,61,41,125"


def test_unknown_motivations_are_reported(collection, client_for, server):  # noqa: F811
    manifest = json.loads(fixture("iiif_cookbook_commenting.json"))
    manifest["items"][0]["items"][0]["items"][0]["body"]["id"] = server.add("/img/1.png", image(), ctype="image/png")
    manifest["items"][0]["annotations"][0]["items"][0]["motivation"] = "praising"
    result = _upload_manifest(client_for("curator"), manifest).result
    missing = {item["what"]: item["count"] for item in result["not_kept"]}
    assert missing["annotations with motivation 'praising'"] == 1 and result["annotations"] == 1


def test_every_w3c_motivation_is_kept(collection, client_for, server):  # noqa: F811
    """bookmarking (and the rest of the W3C vocabulary) on a canvas becomes an annotation, not a report."""
    from inscription.models import Annotation

    manifest = json.loads(fixture("iiif_cookbook_commenting.json"))
    manifest["items"][0]["items"][0]["items"][0]["body"]["id"] = server.add("/img/1.png", image(), ctype="image/png")
    manifest["items"][0]["annotations"][0]["items"][0]["motivation"] = "bookmarking"
    result = _upload_manifest(client_for("curator"), manifest).result
    assert result["annotations"] == 2
    assert not [item for item in result["not_kept"] if "motivation" in item["what"]]
    assert Annotation.objects.filter(motivation="bookmarking").count() == 1


def test_iiif_round_trip_keeps_polygons_baselines_text_and_ids(collection, client_for, server):  # noqa: F811
    from archive.models import Document
    from exchange.formats.iiif_export import manifest as export_manifest
    from tests.formats.test_iiif_export import assert_valid_iiif

    client = client_for("curator")
    response = api_import(client, {"will_0007.xml": fixture("escriptorium_alto.xml"), "will_0007.jpg": image()})
    first = Document.objects.get(pk=response.json()["document"])
    exported = export_manifest(first, "http://archive.example")
    assert_valid_iiif(exported)
    exported["items"][0]["items"][0]["items"][0]["body"]["id"] = server.add("/img/will.png", image(), ctype="image/png")
    result = _upload_manifest(client, exported).result
    second = Document.objects.get(pk=result["document"])
    keep = lambda doc: [(i.text, i.line.polygon, i.line.baseline, i.line.external_id, i.line.kind) for i in current(doc)]  # noqa: E731
    assert keep(second) == keep(first)
    assert [i.line.kind for i in current(second)] == ["HeadingLine", "DefaultLine", "DefaultLine"]  # line types too
    assert all(i.line.baseline for i in current(second))
    assert result["not_kept"] == []
