"""Files as other tools write them: what is kept, what is reported as not kept, who is credited (issue 19: 12, 2, 5, 7, 8, 11)."""
from __future__ import annotations

import pytest

from tests.formats.interop_helpers import api_import, current, fixture, image


def _not_kept(body: dict) -> dict[str, int]:
    return {item["what"]: item["count"] for item in body["not_kept"]}


def test_abbyy_alto_words_glyphs_alternatives_and_what_is_not_kept(collection, client_for):
    """ABBYY ALTO 3: Strings with WC, ALTERNATIVEs and Glyphs are kept, the Illustration and the GraphicalElement as
    image and separator regions (issue 19, point 4); styles and Variants are counted."""
    from archive.models import Document

    response = api_import(client_for("curator"), {"gazette_p1.xml": fixture("abbyy_alto.xml"), "gazette_p1.png": image()})
    assert response.status_code == 201, response.content
    body = response.json()
    missing = _not_kept(body)
    assert missing["Styles elements"] == 1
    assert missing["Variant elements"] == 1
    assert "Illustration elements" not in missing and "GraphicalElement elements" not in missing
    regions = Document.objects.get(pk=body["document"]).pages.get().regions.order_by("order")
    assert [(r.kind, r.external_id) for r in regions if r.kind in ("image", "separator")] == [("image", "IL1"), ("separator", "GE1")]
    assert regions.get(external_id="IL1").polygon == [[40, 200], [340, 200], [340, 350], [40, 350]]
    assert missing["String STYLEREFS attributes"] == 1 and missing["String SUBS_CONTENT attributes"] == 1
    assert missing["String CC attributes"] == 4
    assert "1 Variant elements not kept" in [item["message"] for item in body["not_kept"]]
    doc = Document.objects.get(pk=body["document"])
    first, second = current(doc)
    assert first.text == "Paris, le 14 mars" and second.text == "Le gouverne-"
    words = first.extra["words"]
    assert [(w["text"], w["start"], w.get("conf")) for w in words] == [
        ("Paris,", 0, 0.98), ("le", 7, 0.95), ("14", 10, 0.71), ("mars", 13, 0.93)]
    assert words[0]["polygon"] == [[40, 40], [150, 40], [150, 90], [40, 90]]
    assert words[0]["alternatives"] == [{"text": "Parts,", "purpose": "OCR"}]
    assert words[2]["alternatives"] == [{"text": "11"}, {"text": "H"}]
    assert [(g["text"], g["conf"]) for g in words[0]["glyphs"]] == [
        ("P", 0.99), ("a", 0.97), ("r", 0.96), ("i", 0.91), ("s", 0.98), (",", 0.9)]
    # Machine provenance: the OCR step is credited, not the importing person.
    assert first.model_version.name == "ABBYY FineReader Engine" and first.model_version.version == "12.0"
    assert first.created_by is None and first.parameters["imported_by"] == "curator"
    assert body["credited_to"] == ["ABBYY FineReader Engine 12.0 (machine)"] and body["imported_by"] == "curator"
    steps = first.layer.parameters["provenance"]["gazette_p1.xml"]
    assert [s["software"] for s in steps] == ["ABBYY Recognition Server", "ABBYY FineReader Engine"]
    assert steps[1]["settings"] == "languages=French; fonts=auto" and steps[1]["date"] == "2023-03-14T09:12:31"


def test_escriptorium_alto_reading_order_and_spaces(collection, client_for):
    """kraken/eScriptorium ALTO 4: ReadingOrder decides the line order; SP is one space (however many); region types
    and line types are kept (issue 19, point 4)."""
    from archive.models import Document

    response = api_import(client_for("curator"), {"will_0007.xml": fixture("escriptorium_alto.xml"), "will_0007.jpg": image()})
    assert response.status_code == 201, response.content
    body = response.json()
    doc = Document.objects.get(pk=body["document"])
    texts = [ins.text for ins in current(doc)]
    assert texts == ["Ceci est mon testament", "mes dernières volontés", "Vu"]
    assert [ins.line.external_id for ins in current(doc)] == ["eSc_line_a1", "eSc_line_a2", "eSc_line_m1"]
    assert body["reading_order"] == ["will_0007.xml: ALTO ReadingOrder"]
    missing = _not_kept(body)
    # block types are kept as region types (issue 16), line types as line types (issue 19): nothing is reported
    assert not any("types" in what for what in missing), missing
    assert [ins.line.kind for ins in current(doc)] == ["HeadingLine", "DefaultLine", "DefaultLine"]
    assert sorted(doc.pages.get().regions.values_list("kind", "external_id")) == [
        ("MainZone", "eSc_textblock_a"), ("MarginTextZone", "eSc_textblock_m")]
    ins = current(doc)[0]
    assert ins.model_version.name == "kraken" and ins.model_version.version == "5.2.9"
    assert ins.layer.parameters["provenance"]["will_0007.xml"][0]["settings"] == "model=catmus-medieval.mlmodel; pad=16"


def test_ocrd_page_alternatives_region_text_table_cells_and_processing_steps(collection, client_for):
    """OCR-D PAGE 2019: TextEquiv index alternatives, Word/Glyph, region-only text, table cells' lines, MetadataItem steps."""
    from archive.models import Document

    files = {"OCR-D-OCR_0001.xml": fixture("OCR-D-OCR_0001.xml"), "OCR-D-IMG_0001.png": image()}
    response = api_import(client_for("curator"), files)
    assert response.status_code == 201, response.content
    body = response.json()
    doc = Document.objects.get(pk=body["document"])
    readings = current(doc)
    assert [r.text for r in readings] == ["Gemeinde Rottweil", "Der  Schultheiß", "Name", "Betrag"]
    head = readings[0]
    assert head.extra["region_text"] is True and head.line.polygon == [[30, 20], [570, 20], [570, 80], [30, 80]]
    body_line = readings[1]
    assert body_line.extra["alternatives"] == [{"text": "Dcr Schultheifs", "conf": 0.05, "index": 2}]
    word = body_line.extra["words"][0]
    assert (word["text"], word["start"], word["conf"], word["alternatives"]) == ("Der", 0, 0.97, [{"text": "Dcr", "conf": 0.02, "index": 2}])
    assert [g["text"] for g in word["glyphs"]] == ["D", "e", "r"]
    assert body_line.extra["words"][1]["start"] == 5
    assert body_line.model_version.name == "ocrd-calamari-recognize"
    step = body_line.layer.parameters["provenance"]["OCR-D-OCR_0001.xml"][-1]
    assert step["labels"]["version:ocrd-calamari-recognize"].startswith("1.0.5")
    missing = _not_kept(body)
    assert missing["AlternativeImage elements"] == 1 and missing["Border elements"] == 1
    assert missing["TextStyle elements"] == 1
    assert "SeparatorRegion elements" not in missing and not [w for w in missing if w.startswith("TableRegion")]
    kinds = dict(doc.pages.get().regions.values_list("external_id", "kind"))
    assert kinds["r_table"] == "table" and kinds["r_sep"] == "separator"  # kept as regions (issue 19, point 4)
    assert kinds["r_table_c1"] == "paragraph"  # and the table's cells with their lines
    assert missing["lines with tabs, newlines or leading/trailing spaces (normalised)"] == 1
    assert "TextRegion type attributes" not in missing  # kept as region types (issue 16)
    assert {"paragraph", "heading"} & set(doc.pages.get().regions.values_list("kind", flat=True))


def test_transkribus_custom_tags_become_annotations_and_go_back_on_export(collection, client_for):
    """Point 6: person, place, textStyle, abbrev, date, unclear, gap → W3C annotations on the span; PAGE export writes them back."""
    from lxml import etree

    from archive.models import Document
    from exchange.formats.pagexml import export_page_xml
    from inscription.models import Annotation

    response = api_import(client_for("curator"), {"Brief_003.xml": fixture("transkribus_tags_page.xml"), "Brief_003.jpg": image()})
    assert response.status_code == 201, response.content
    body = response.json()
    missing = _not_kept(body)
    assert not any("person" in what or "abbrev" in what for what in missing)
    assert "custom 'structure' tags on TextRegion" not in missing  # kept as the region's type (issue 16)
    assert body["credited_to"] == ["PyLaia@TranskribusPlatform 2.12.0 (machine)"]
    doc = Document.objects.get(pk=body["document"])
    first = current(doc)[0]
    notes = {a.extra["transkribus"]["tag"]: a for a in Annotation.objects.filter(document=doc)}
    assert set(notes) == {"person", "place", "textStyle", "abbrev", "date", "unclear", "gap"}
    person = notes["person"]
    assert person.motivation == "identifying" and list(person.inscriptions.all()) == [first]
    selectors = {s["type"]: s for s in person.target[0]["selector"]}
    assert selectors["TextPositionSelector"] == {"type": "TextPositionSelector", "start": 0, "end": 4}
    assert (person.body[0]["value"], person.body[0]["purpose"]) == ("person", "tagging")
    assert "firstname: Anna" in person.body[1]["value"]
    assert notes["date"].extra["transkribus"]["attrs"] == {"when": "1921-05-12"}
    root = etree.fromstring(export_page_xml(doc.pages.get()))
    customs = [el.get("custom") for el in root.iter("{http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15}TextLine")]
    assert customs[0] == "readingOrder {index:0;} person {offset:0; length:4; firstname:Anna;} place {offset:8; length:4; placeName:Wien;}"
    assert "abbrev {offset:4; length:3; expansion:Doktor;}" in customs[1]


def test_ground_truth_import_stays_human(collection, client_for, users):
    from archive.models import Document

    response = api_import(client_for("owner"), {"will_0007.xml": fixture("escriptorium_alto.xml"), "will_0007.jpg": image()},
                          ground_truth="true")
    assert response.status_code == 201
    ins = current(Document.objects.get(pk=response.json()["document"]))[0]
    assert ins.created_by == users["owner"] and ins.model_version is None and ins.layer.kind == "ground_truth"


@pytest.mark.parametrize("name", ["Will_0007.ALTO", "Will_0007.page"])
def test_import_xml_command_sniffs_content_and_keeps_title_case(collection, tmp_path, name):
    """Point 11: the command tells XML from images as the API does and keeps the file's case in the title."""
    from django.core.management import call_command

    from archive.models import Document

    data = fixture("escriptorium_alto.xml") if name.endswith("ALTO") else fixture("transkribus_tags_page.xml")
    (tmp_path / name).write_bytes(data)
    img = tmp_path / ("will_0007.jpg" if name.endswith("ALTO") else "Brief_003.jpg")
    img.write_bytes(image())
    from io import StringIO

    out = StringIO()
    call_command("import_xml", "letters", str(tmp_path / name), str(img), stdout=out)
    doc = Document.objects.get()
    assert doc.title == "Will_0007"
    text = out.getvalue()
    assert "Not kept:" in text and "pages matched by image file name" in text
    assert "types) not kept" not in text  # block and line types are kept
