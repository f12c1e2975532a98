"""A second reading onto existing pages, METS from OCR-D and eScriptorium, multi-page ALTO, METS in exports (issue 19: 1, 3)."""
from __future__ import annotations

import io
import zipfile

import pytest

from tests.formats.interop_helpers import api_import, current, fixture, image


def _first_import(client):
    from archive.models import Document

    response = api_import(client, {"will_0007.xml": fixture("escriptorium_alto.xml"), "will_0007.jpg": image()}, ground_truth="true")
    assert response.status_code == 201, response.content
    return Document.objects.get(pk=response.json()["document"])


def _second_model_alto(shift: int = 0) -> bytes:
    """The same page read by a second model (Calamari through OCR-D), one line's geometry moved by ``shift`` pixels."""
    xml = fixture("escriptorium_alto.xml").decode()
    xml = xml.replace("<softwareName>kraken</softwareName>", "<softwareName>calamari</softwareName>")
    xml = xml.replace("<softwareVersion>5.2.9</softwareVersion>", "<softwareVersion>2.2.2</softwareVersion>")
    xml = xml.replace('CONTENT="testament"', 'CONTENT="testamant"')
    if shift:
        xml = xml.replace('<Polygon POINTS="475 50 585 50 585 95 475 95"/>',
                          f'<Polygon POINTS="475 {50 + shift} 585 {50 + shift} 585 {95 + shift} 475 {95 + shift}"/>')
    return xml.encode()


@pytest.mark.parametrize(("fields", "matched_by"), [({}, "image file name"), ({"match": "order"}, "page order")])
def test_second_reading_lands_on_the_same_lines_as_a_new_layer(collection, client_for, fields, matched_by):
    from archive.models import Document, Line

    client = client_for("curator")
    doc = _first_import(client)
    lines_before = list(Line.objects.filter(page__document=doc).order_by("order").values_list("pk", flat=True))
    name = "will_0007.xml" if matched_by == "image file name" else "other_name.xml"
    xml = _second_model_alto()
    if matched_by == "page order":
        xml = xml.replace(b"<fileName>will_0007.jpg</fileName>", b"<fileName>unrelated.jpg</fileName>")
    response = api_import(client, {name: xml}, document=str(doc.pk), **fields)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["document"] == doc.pk and Document.objects.count() == 1
    assert body["matched_by"] == matched_by and (body["onto_existing_lines"], body["new_lines"]) == (3, 0)
    assert list(Line.objects.filter(page__document=doc).order_by("order").values_list("pk", flat=True)) == lines_before
    layers = {layer.name: layer for layer in doc.layers.all()}
    assert set(layers) == {"ground truth", "import: calamari 2.2.2"}
    second = [i for i in current(doc) if i.layer.name == "import: calamari 2.2.2"]
    assert [i.text for i in second] == ["Ceci est mon testamant", "mes dernières volontés", "Vu"]
    assert {i.model_version.name for i in second} == {"calamari"}
    # the ground truth layer is untouched
    assert [i.text for i in current(doc) if i.layer.name == "ground truth"][0] == "Ceci est mon testament"


def test_second_reading_with_other_geometry_gets_new_lines_and_explicit_page_ids(collection, client_for):
    from archive.models import Line

    client = client_for("curator")
    doc = _first_import(client)
    page = doc.pages.get()
    response = api_import(client, {"x.xml": _second_model_alto(shift=200)}, document=str(doc.pk), page=[str(page.pk)])
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["matched_by"] == "page id" and (body["onto_existing_lines"], body["new_lines"]) == (2, 1)
    assert Line.objects.filter(page=page).count() == 4


def test_second_reading_that_matches_no_page_is_refused_and_stores_nothing(collection, client_for):
    from tests.formats.helpers import row_counts

    client = client_for("curator")
    doc = _first_import(client)
    before = row_counts()
    xml = _second_model_alto().replace(b"will_0007.jpg", b"nowhere.jpg")
    response = api_import(client, {"nowhere.xml": xml}, document=str(doc.pk), match="filename")
    assert response.status_code == 400 and response.json()["error"]["code"] == "page_mismatch"
    response = api_import(client, {"x.xml": xml}, document=str(doc.pk), page=["999999"])
    assert response.status_code == 400 and response.json()["error"]["code"] == "page_mismatch"
    assert row_counts() == before


def test_ocrd_mets_pairs_image_and_latest_page_xml(collection, client_for):
    """OCR-D METS: file names need not match; the last fileGrp (OCR-D-OCR) is read; METS sections not kept are counted."""
    from archive.models import Document

    files = {"mets.xml": fixture("ocrd_mets.xml"), "OCR-D-OCR_0001.xml": fixture("OCR-D-OCR_0001.xml"),
             "OCR-D-SEG_0001.xml": fixture("OCR-D-OCR_0001.xml").replace("Schultheiß".encode(), b"SEGMENT-ONLY"),
             "OCR-D-IMG_0001.tif": image()}
    response = api_import(client_for("curator"), files)
    assert response.status_code == 201, response.content
    body = response.json()
    doc = Document.objects.get(pk=body["document"])
    assert [i.text for i in current(doc)][1] == "Der  Schultheiß"
    assert doc.pages.get().original_filename == "OCR-D-IMG_0001.tif"
    missing = {item["what"]: item["count"] for item in body["not_kept"]}
    assert missing["dmdSec elements"] == 1 and missing["amdSec elements"] == 1
    assert missing["XML files of earlier METS file groups (the last group's file is read)"] == 1


def test_escriptorium_mets_orders_pages_and_credits_agent(collection, client_for):
    from archive.models import Document

    recto = fixture("escriptorium_alto.xml").replace(b"will_0007.jpg", b"whatever.jpg")
    verso = fixture("escriptorium_alto.xml").replace(b"will_0007.jpg", b"whatever.jpg").replace(b'CONTENT="Vu"', b'CONTENT="Verso"')
    files = {"METS.xml": fixture("escriptorium_mets.xml"), "export_doc12_recto.xml": recto, "export_doc12_verso.xml": verso,
             "a1b2c3_recto.jpg": image(), "d4e5f6_verso.jpg": image()}
    response = api_import(client_for("curator"), files)
    assert response.status_code == 201, response.content
    doc = Document.objects.get(pk=response.json()["document"])
    pages = list(doc.pages.order_by("order"))
    assert [p.original_filename for p in pages] == ["a1b2c3_recto.jpg", "d4e5f6_verso.jpg"]
    assert [i.text for i in current(doc) if i.page_id == pages[1].pk][-1] == "Verso"


def test_multi_page_alto_matched_to_images_in_order(collection, client_for):
    from archive.models import Document

    files = {"register.xml": fixture("tesseract_multipage_alto.xml"), "register_1.png": image(),
             "register_2.png": image(1200, 800)}
    response = api_import(client_for("curator"), files)
    assert response.status_code == 201, response.content
    doc = Document.objects.get(pk=response.json()["document"])
    pages = list(doc.pages.order_by("order"))
    assert [p.original_filename for p in pages] == ["register_1.png", "register_2.png"]
    assert [i.text for i in current(doc)] == ["Folio 1", "Folio 2"]
    assert current(doc)[0].model_version.name == "tesseract 5.3.4"
    missing = {item["what"]: item["count"] for item in response.json()["not_kept"]}
    assert missing["ComposedBlock elements (their text blocks are kept)"] == 1


def test_document_page_xml_export_has_mets_that_imports_back(collection, client_for):
    """METS beside PAGE in the document export; the zip (METS + PAGE + images) imports back to the same text."""
    from archive.models import Document

    client = client_for("curator")
    doc = _first_import(client)
    response = client.get(f"/api/v1/documents/{doc.pk}/page-xml/")
    assert response.status_code == 200
    bundle = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content))
    names = bundle.namelist()
    assert "mets.xml" in names and "page/0001.xml" in names
    mets = bundle.read("mets.xml")
    assert b"page/0001.xml" in mets and b"alto.xml" in mets
    files = {"mets.xml": mets, "0001.xml": bundle.read("page/0001.xml"), "will_0007.jpg": image()}
    response = api_import(client, files)
    assert response.status_code == 201, response.content
    again = Document.objects.get(pk=response.json()["document"])
    assert [i.text for i in current(again)] == [i.text for i in current(doc)]
