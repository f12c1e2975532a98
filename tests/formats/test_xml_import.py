"""Importing PAGE (Transkribus-style) and ALTO (kraken-style) files with their images, through the API."""
from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from exchange.formats import xmlsafe
from exchange.formats.alto import export_alto
from exchange.formats.pagexml import export_page_xml
from tests.conftest import png_bytes
from tests.formats.helpers import FIXTURES


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def test_transkribus_page_import(collection, client_for, users):
    from archive.models import Document
    from inscription.models import Inscription

    xml = (FIXTURES / "transkribus_page.xml").read_bytes()
    # The image was downsampled to half size; PAGE coordinates refer to the 1200×800 original.
    image = png_bytes(600, 400, fmt="JPEG")
    response = client_for("curator").post(
        "/api/v1/collections/letters/import/xml/",
        {"files": [upload("page_0001.xml", xml), upload("img_0001.jpg", image)], "title": "Brief aus Wien"},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    doc = Document.objects.get(pk=response.json()["document"])
    assert doc.title == "Brief aus Wien" and "PyLaia" in doc.source
    page = doc.pages.get()
    assert (page.width, page.height, page.original_filename) == (600, 400, "img_0001.jpg")
    lines = list(page.lines.order_by("order"))
    # reading order: region r_top (index 0) before the margin note, lines by their custom index
    assert [ln.external_id for ln in lines] == ["tr_1_tl_1", "tr_1_tl_2", "tr_1_tl_3", "r_margin_l1"]
    assert lines[0].polygon == [[60, 75], [440, 75], [440, 115], [60, 115]]  # scaled by 0.5
    assert lines[1].baseline == [[60, 185], [250, 183], [440, 186]]
    texts = [Inscription.objects.get(line=ln, is_current=True) for ln in lines]
    assert [t.text for t in texts] == ["Liebe Anna, ich bin gut angekommen", "und schreibe Dir aus Wien.", "Deine Marie", "nota bene"]
    assert texts[0].confidence == 0.93 and texts[3].extra["word_confidences"] == [0.91, 0.62]
    layer = texts[0].layer
    assert layer.kind == "import" and "PyLaia@TranskribusPlatform" in layer.parameters["software"]
    # A machine reading: credited to the software that wrote it, the importing person recorded beside it.
    assert texts[0].created_by is None and texts[0].model_version.name == "PyLaia@TranskribusPlatform"
    assert texts[0].model_version.task == "external" and texts[0].parameters["imported_by"] == "curator"
    assert layer.created_by == users["curator"]
    # What came in exports again as valid PAGE and ALTO.
    assert xmlsafe.validation_errors("page", export_page_xml(page)) == []
    assert xmlsafe.validation_errors("alto", export_alto([page])) == []


def test_kraken_alto_import_with_quirks(collection, client_for):
    from archive.models import Document
    from inscription.models import Inscription

    xml = (FIXTURES / "kraken_alto.xml").read_bytes()
    response = client_for("owner").post(
        "/api/v1/collections/letters/import/xml/",
        {"xml": [upload("scan_0042.xml", xml)], "images": [upload("SCAN_0042.PNG", png_bytes(600, 400))], "ground_truth": "true"},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    doc = Document.objects.get(pk=response.json()["document"])
    lines = list(doc.pages.get().lines.order_by("order"))
    assert len(lines) == 3
    assert lines[0].polygon == [[40, 50], [560, 52], [560, 100], [40, 98]]  # "x y x y" points
    assert lines[0].baseline == [[40, 90], [300, 88], [560, 91]]
    assert lines[1].baseline == [[40, 190], [540, 190]]  # legacy single-number BASELINE
    assert lines[1].polygon == [[40, 150], [540, 150], [540, 200], [40, 200]]  # from HPOS/VPOS/WIDTH/HEIGHT
    assert lines[2].baseline == [[40, 290], [560, 290]]
    texts = [Inscription.objects.get(line=ln, is_current=True) for ln in lines]
    assert [t.text for t in texts] == ["Chère amie,", "je pen-", "à vous."]
    assert abs(texts[0].confidence - (0.9521 + 0.8810) / 2) < 1e-6
    assert texts[0].layer.kind == "ground_truth" and texts[0].layer.parameters["software"] == "kraken 4.3.13"


def test_import_xml_command(collection, tmp_path):
    from django.core.management import call_command

    from archive.models import Document

    (tmp_path / "scan_0042.xml").write_bytes((FIXTURES / "kraken_alto.xml").read_bytes())
    (tmp_path / "scan_0042.png").write_bytes(png_bytes(600, 400))
    call_command("import_xml", "letters", str(tmp_path / "scan_0042.xml"), str(tmp_path / "scan_0042.png"), "--title", "CLI")
    assert Document.objects.get(title="CLI").pages.get().lines.count() == 3
