"""Imported words and alternatives (issue 19, point 5): search boxes on the scan use the file's own word spans,
alternatives round-trip, and a machine reading's word alternatives are not mistaken for imported words."""
from __future__ import annotations

from lxml import etree

from tests.formats.interop_helpers import api_import, current, fixture, image

ALTO = "{http://www.loc.gov/standards/alto/ns-v4#}"


def _doc(client, fixture_name: str, xml_name: str, image_name: str):
    from archive.models import Document

    response = api_import(client, {xml_name: fixture(fixture_name), image_name: image()})
    assert response.status_code == 201, response.content
    return Document.objects.get(pk=response.json()["document"])


def test_search_boxes_come_from_imported_word_spans(collection, client_for):
    """kraken ALTO: "testament" is String HPOS=300 VPOS=50 WIDTH=140 HEIGHT=50; the hit box is that String, not the
    whole line (an imported reading has no CTC columns)."""
    client = client_for("curator")
    _doc(client, "escriptorium_alto.xml", "will_0007.xml", "will_0007.jpg")
    body = client.get("/api/v1/search/", {"q": "testament"}).json()
    hit = body["results"][0]
    assert hit["text"] == "Ceci est mon testament" and hit["highlights"] == [[13, 22]]
    assert hit["boxes"] == [{"x": 300, "y": 50, "w": 140, "h": 50}]
    assert hit["line_box"] == {"x": 40, "y": 50, "w": 400, "h": 50}
    # a phrase spans its words: "mes dernières" → from "mes" (40) to the end of "dernières" (340)
    hit = client.get("/api/v1/search/", {"q": '"mes dernières"'}).json()["results"][0]
    assert hit["boxes"] == [{"x": 40, "y": 150, "w": 300, "h": 50}]


def test_search_results_page_draws_the_word_box_on_the_scan(collection, client_for, users):
    from django.test import Client

    _doc(client_for("curator"), "escriptorium_alto.xml", "will_0007.xml", "will_0007.jpg")
    browser = Client()
    browser.force_login(users["curator"])
    html = browser.get("/search/", {"q": "testament"}).content.decode()
    assert '<rect class="hit-box" x="300" y="50" width="140" height="50"/>' in html


def test_alternatives_round_trip_in_both_formats(collection, client_for):
    """PAGE TextEquiv @index (line and word) and ALTO ALTERNATIVE come back on re-import, with the same values."""
    from exchange.formats.alto import export_alto
    from exchange.formats.pagexml import export_page_xml

    client = client_for("curator")
    ocrd = _doc(client, "OCR-D-OCR_0001.xml", "OCR-D-OCR_0001.xml", "OCR-D-IMG_0001.png")
    line = next(i for i in current(ocrd) if i.line.external_id == "r_body_l1")
    assert line.extra["alternatives"] == [{"text": "Dcr Schultheifs", "conf": 0.05, "index": 2}]
    assert line.extra["words"][0]["alternatives"] == [{"text": "Dcr", "conf": 0.02, "index": 2}]
    again = _doc_from(client, "again.page.xml", export_page_xml(ocrd.pages.get()), "OCR-D-IMG_0001.png")
    line2 = next(i for i in current(again) if i.line.external_id == "r_body_l1")
    assert line2.extra["alternatives"] == line.extra["alternatives"] and line2.extra["words"] == line.extra["words"]

    abbyy = _doc(client, "abbyy_alto.xml", "gazette_p1.xml", "gazette_p1.png")
    words = current(abbyy)[0].extra["words"]
    assert [w.get("alternatives") for w in words[:3]] == [[{"text": "Parts,", "purpose": "OCR"}], None, [{"text": "11"}, {"text": "H"}]]
    again = _doc_from(client, "again.alto.xml", export_alto(list(abbyy.pages.all())), "gazette_p1.png")
    assert current(again)[0].extra["words"] == words


def _doc_from(client, name: str, xml: bytes, image_name: str):
    from archive.models import Document

    response = api_import(client, {name: xml, image_name: image()})
    assert response.status_code == 201, response.content
    return Document.objects.get(pk=response.json()["document"])


def test_machine_word_alternatives_are_not_taken_for_imported_words(sample_document):
    """Our recognizer keeps word alternatives in extra["words"] (columns + spellings): the ALTO export still writes
    one String per word with its WC from the character confidences, not the whole line as one String."""
    from exchange.formats.alto import export_alto
    from inscription.models import Inscription

    machine = sample_document.layers.get(kind="machine")
    ins = Inscription.objects.filter(layer=machine, is_current=True).order_by("page__order", "line__order").first()
    Inscription.objects.filter(pk=ins.pk).update(extra={"words": [{"columns": [0, 40], "alternatives": [["x", 0.9]]}]})
    root = etree.fromstring(export_alto(list(sample_document.pages.all()), layer=machine))
    strings = root.find(f".//{ALTO}TextLine").findall(f"{ALTO}String")
    assert [s.get("CONTENT") for s in strings] == ins.text.split(" ")
    assert all(s.get("WC") for s in strings)
