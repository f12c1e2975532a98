"""TEI P5 export (validated against the shipped RELAX NG), Dublin Core in every export, and export jobs
started from the interface (the task body run in-process here; the browser test runs it on a real worker)."""
from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.test import Client
from lxml import etree

from tests.inscription.helpers import fake_model_version, make_lines, make_page

pytestmark = pytest.mark.django_db
TEI = "{http://www.tei-c.org/ns/1.0}"


@pytest.fixture
def doc(collection, users):
    from archive.models import Document
    from inscription.services.inscriptions import LineText, create_inscription, write_page_lines
    from inscription.services.layers import GROUND_TRUTH, get_or_create_layer, machine_layer

    collection.creator, collection.rights, collection.language = "Archives of Somewhere", "CC BY 4.0", "fr"
    collection.save()
    d = Document.objects.create(collection=collection, title="Testament de Jean", creator="Jean Martin", date="1916",
                                place="Verdun", language="fr", rights="http://creativecommons.org/licenses/by/4.0/",
                                source="AD 75, cote 12", description="A will written at the front.")
    page = make_page(d)
    lines = make_lines(page, 2)
    model = fake_model_version()
    layer = machine_layer(d, model, {"decoder": "greedy"})
    write_page_lines(layer=layer, page=page, readings=[LineText(line=ln, text=t) for ln, t in zip(lines, ["je lègue", "à ma femme"],
                                                                                                  strict=True)],
                     model_version=model, parameters={"decoder": "greedy"})
    gt = get_or_create_layer(d, GROUND_TRUTH, "ground_truth", user=users["curator"])
    create_inscription(layer=gt, text="Je lègue", line=lines[0], user=users["curator"])
    return d


def test_tei_export_has_facsimile_text_and_provenance_and_validates(doc):
    from exchange.formats.tei import export_tei, validate_tei

    data = export_tei(doc)
    assert validate_tei(data) == []
    root = etree.fromstring(data)
    assert root.find(f"{TEI}teiHeader/{TEI}fileDesc/{TEI}titleStmt/{TEI}title").text == "Testament de Jean"
    zones = root.findall(f"{TEI}facsimile/{TEI}surface/{TEI}zone")
    assert len(zones) == 2 and zones[0].get("points")
    lbs = root.findall(f".//{TEI}body//{TEI}lb")
    assert [lb.tail.strip() for lb in lbs] == ["Je lègue", "à ma femme"]  # the curator's text wins over the machine's
    resp = {r.get("{http://www.w3.org/XML/1998/namespace}id"): r.find(f"{TEI}name").text
            for r in root.iter(f"{TEI}respStmt")}
    assert sorted(resp.values()) == ["curator", "htr-test 1.0"]
    assert resp[lbs[0].get("resp")[1:]] == "curator" and resp[lbs[1].get("resp")[1:]] == "htr-test 1.0"
    assert lbs[0].get("facs") == "#" + zones[0].get("{http://www.w3.org/XML/1998/namespace}id")
    assert root.find(f".//{TEI}application").get("ident") == "htr-test"
    assert root.find(f".//{TEI}availability/{TEI}licence").text.startswith("http://creativecommons.org/")


def test_the_tei_schema_rejects_what_tei_does_not_allow(doc):
    from exchange.formats.tei import export_tei, validate_tei

    root = etree.fromstring(export_tei(doc))
    body = root.find(f".//{TEI}body")
    etree.SubElement(body, f"{TEI}lb")  # an lb straight in body: not where TEI puts it
    assert validate_tei(etree.tostring(root))


def test_dublin_core_in_iiif_alto_page_and_the_collection_zip(doc, client_for, tmp_path):
    from exchange.formats.archive_export import export_collection

    c = client_for("viewer")
    manifest = c.get(f"/api/v1/documents/{doc.pk}/manifest/").json()
    labels = {m["label"]["en"][0]: m["value"]["none"][0] for m in manifest["metadata"]}
    assert labels["Creator"] == "Jean Martin" and labels["Collection creator"] == "Archives of Somewhere"
    assert labels["Description"] == "A will written at the front."
    alto = etree.fromstring(c.get(f"/api/v1/documents/{doc.pk}/alto/").content)
    dc = {t.get("LABEL"): t.get("DESCRIPTION") for t in alto.iter("{http://www.loc.gov/standards/alto/ns-v4#}OtherTag")
          if t.get("TYPE") == "dublin-core"}
    assert dc["dc:creator"] == "Jean Martin" and dc["dcterms:isPartOf"] == "Letters" and dc["dc:coverage"] == "Verdun"
    page = etree.fromstring(c.get(f"/api/v1/pages/{doc.pages.get().pk}/page-xml/").content)
    items = {m.get("name"): m.get("value") for m in page.iter() if str(m.tag).endswith("MetadataItem") and m.get("type") == "other"}
    assert items["dc:source"] == "AD 75, cote 12" and items["collection dc:rights"] == "CC BY 4.0"
    iiif_coll = c.get(f"/api/v1/collections/{doc.collection.slug}/iiif/").json()
    assert {m["label"]["en"][0] for m in iiif_coll["metadata"]} >= {"Creator", "Rights", "Language"}
    out = tmp_path / "c.zip"
    export_collection(doc.collection, out, "http://testserver")
    with zipfile.ZipFile(out) as zf:
        archive = json.loads(zf.read("manifest.json"))["archive"]
    assert archive["collection"]["creator"] == "Archives of Somewhere" and archive["collection"]["language"] == "fr"


def test_metadata_is_edited_in_the_interface(doc, users, collection):
    owner, curator, viewer = Client(), Client(), Client()
    owner.force_login(users["owner"])
    curator.force_login(users["curator"])
    viewer.force_login(users["viewer"])
    r = curator.post(f"/d/{doc.pk}/describe/", {"dc-title": "Testament de Jean Martin", "dc-creator": "Jean Martin",
                                                "dc-language": "fr", "dc-date": "12 mars 1916"})
    assert r.status_code == 302
    doc.refresh_from_db()
    assert doc.title == "Testament de Jean Martin" and doc.date == "12 mars 1916" and doc.place == ""
    assert viewer.post(f"/d/{doc.pk}/describe/", {"dc-title": "x"}).status_code == 403
    assert curator.post(f"/c/{collection.slug}/describe/", {"dc-title": "x"}).status_code == 403  # owners describe collections
    owner.post(f"/c/{collection.slug}/describe/", {"dc-title": "Letters", "dc-creator": "A. Archivist", "dc-rights": "CC0"})
    collection.refresh_from_db()
    assert collection.creator == "A. Archivist" and collection.rights == "CC0"
    r = owner.post(f"/c/{collection.slug}/describe/", {"dc-title": ""}, follow=True)
    assert "not saved" in r.content.decode()
    collection.refresh_from_db()
    assert collection.title == "Letters"


@pytest.mark.parametrize("fmt", ["tei", "alto", "page", "text", "iiif", "w3c"])
def test_export_jobs_write_a_file_for_one_document_and_for_the_collection(doc, users, fmt):
    from exchange.export_jobs import start_format_export
    from exchange.tasks import export_format
    from jobs.runner import execute

    job = start_format_export(fmt, doc.collection, user=users["curator"], document=doc, base_url="http://testserver")
    assert execute(job.pk, export_format.body) == "succeeded"
    job.refresh_from_db()
    from django.core.files.storage import default_storage

    data = default_storage.open(job.result["file"]).read()
    assert job.result["format"] == fmt and job.result["bytes"] == len(data) > 0
    if fmt == "tei":
        from exchange.formats.tei import validate_tei

        assert validate_tei(data) == []
    whole = start_format_export(fmt, doc.collection, user=users["curator"], base_url="http://testserver")
    assert execute(whole.pk, export_format.body) == "succeeded"
    whole.refresh_from_db()
    with zipfile.ZipFile(io.BytesIO(default_storage.open(whole.result["file"]).read())) as zf:
        assert len(zf.namelist()) == 1 and zf.namelist()[0].startswith("Testament-de-Jean")


def test_bad_exports_queue_nothing(doc, users, collection):
    from archive.models import Document
    from exchange.export_jobs import start_format_export
    from jobs.models import Job
    from palimpsest.errors import InputError

    with pytest.raises(InputError, match="Unknown export format"):
        start_format_export("docx", collection, user=users["curator"], document=doc, base_url="http://x")
    text_doc = Document.objects.create(collection=collection, title="Typed", kind="text")
    with pytest.raises(InputError, match="needs scan pages"):
        start_format_export("tei", collection, user=users["curator"], document=text_doc, base_url="http://x")
    assert Job.objects.count() == 0
    viewer = Client()
    viewer.force_login(users["viewer"])
    assert viewer.post(f"/d/{doc.pk}/export/", {"format": "tei"}).status_code == 403
    assert Job.objects.count() == 0
