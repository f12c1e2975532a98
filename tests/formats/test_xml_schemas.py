"""ALTO 4.4 and PAGE 2019 exports validate against the official XSDs shipped in exchange/formats/schemas."""
from __future__ import annotations

import pytest
from lxml import etree

from exchange.formats import xmlsafe
from exchange.formats.alto import export_alto
from exchange.formats.pagexml import export_page_xml

ALTO = "{http://www.loc.gov/standards/alto/ns-v4#}"
PAGE = "{http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15}"


def test_schemas_compile_offline_and_reject_invalid():
    assert xmlsafe.schema("alto") is not None
    bad = b'<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#"><Layout/></alto>'
    assert xmlsafe.validation_errors("alto", bad)


def test_alto_page_and_document_validate(sample_document):
    pages = list(sample_document.pages.all())
    for xml in (export_alto(pages[:1]), export_alto(pages)):
        assert xmlsafe.validation_errors("alto", xml) == []
    root = etree.fromstring(export_alto(pages))
    assert len(root.findall(f".//{ALTO}Page")) == 2
    lines = root.findall(f".//{ALTO}TextLine")
    assert len(lines) == 6
    # the human ground truth wins by default: the corrected accents are there
    first = " ".join(s.get("CONTENT") for s in lines[0].findall(f"{ALTO}String"))
    assert first == "Ma chère Anna,"
    assert lines[0].get("BASELINE") == "50,110 550,108"
    assert lines[0].find(f"{ALTO}Shape/{ALTO}Polygon").get("POINTS").startswith("50,60 550,60")
    # provenance: the line points at a Processing step and an OtherTag naming the person
    tag = root.find(f".//{ALTO}OtherTag[@ID='{lines[0].get('TAGREFS')}']")
    assert tag.get("DESCRIPTION") == "human=owner"
    assert root.find(f".//{ALTO}Processing[@ID='{lines[0].get('PROCESSINGREFS')}']") is not None


def test_alto_machine_layer_has_confidences_and_model(sample_document):
    machine = sample_document.layers.get(kind="machine")
    root = etree.fromstring(export_alto(list(sample_document.pages.all()), layer=machine))
    assert xmlsafe.validation_errors("alto", root) == []
    software = root.find(f".//{ALTO}processingSoftware")
    assert software.find(f"{ALTO}softwareName").text == "htr-default"
    assert software.find(f"{ALTO}softwareVersion").text == "1.0"
    settings = root.find(f".//{ALTO}processingStepSettings").text
    assert "ab" * 32 in settings and "decoder=greedy" in settings
    string = root.find(f".//{ALTO}String")
    glyphs = string.findall(f"{ALTO}Glyph")
    assert "".join(g.get("CONTENT") for g in glyphs) == string.get("CONTENT")
    gcs = [float(g.get("GC")) for g in glyphs]
    assert float(string.get("WC")) == pytest.approx(sum(gcs) / len(gcs), abs=1e-3)
    assert string.get("HPOS") == "50"  # char_columns mapped onto the page


def test_page_xml_validates_with_provenance(sample_document, model_version):
    page = sample_document.pages.first()
    for layer in (None, sample_document.layers.get(kind="machine")):
        xml = export_page_xml(page, layer)
        assert xmlsafe.validation_errors("page", xml) == []
    root = etree.fromstring(export_page_xml(page, sample_document.layers.get(kind="machine")))
    line = root.find(f".//{PAGE}TextLine")
    assert line.find(f"{PAGE}Baseline").get("points") == "50,110 550,108"
    equiv = line.find(f"{PAGE}TextEquiv")
    assert equiv.find(f"{PAGE}Unicode").text == "Ma chere Anna,"
    assert "sha256=" + "ab" * 32 in equiv.get("comments") and float(equiv.get("conf")) == pytest.approx(0.8)
    attrs = {a.get("name"): a.get("value") for a in line.findall(f"{PAGE}UserDefined/{PAGE}UserAttribute")}
    assert attrs["model"] == "htr-default" and attrs["decoder"] == "greedy"
    assert len(line.findall(f"{PAGE}Word")) == 3
    item = root.find(f".//{PAGE}MetadataItem")
    labels = {lb.get("type"): lb.get("value") for lb in item.iter(f"{PAGE}Label")}
    assert item.get("type") == "processingStep" and item.get("value") == "htr-default"
    assert labels["version"] == "1.0" and model_version.sha256 in labels["settings"]


def test_page_xml_reports_invalid_output():
    bad = b'<PcGts xmlns="http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"><Page/></PcGts>'
    assert xmlsafe.validation_errors("page", bad)


