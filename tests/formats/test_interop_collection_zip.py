"""The collection zip keeps everything the interop imports keep: export → restore into an emptied database → export
gives the same restore data and the same ALTO, PAGE and METS, byte for byte (issue 19, Done when)."""
from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from tests.formats.interop_helpers import fixture, image, kept, regions
from tests.formats.test_roundtrip import _normalise, read_zip

FILES = [("escriptorium_alto.xml", "will_0007.xml", "will_0007.jpg"), ("abbyy_alto.xml", "gazette_p1.xml", "gazette_p1.png"),
         ("OCR-D-OCR_0001.xml", "OCR-D-OCR_0001.xml", "OCR-D-IMG_0001.png"),
         ("transkribus_tags_page.xml", "Brief_003.xml", "Brief_003.jpg"),
         ("escriptorium_page.xml", "will_0008.xml", "will_0008.jpg")]
EXTERNAL = {"type": "SpecificResource", "source": "https://example.org/iiif/canvas/7",
            "selector": {"type": "FragmentSelector", "value": "xywh=1,2,3,4"}}


@pytest.mark.django_db(transaction=True)
def test_interop_imports_survive_the_collection_zip(collection, users, tmp_path, django_user_model):
    from archive.models import Document
    from exchange.formats.xml_import import import_xml

    for fixture_name, xml_name, image_name in FILES:
        import_xml(collection, users["curator"], [(xml_name, fixture(fixture_name))], [(image_name, image())])
    from inscription.models import Annotation
    from inscription.services.annotations import create_annotation

    create_annotation(users["curator"], {"motivation": "bookmarking", "target": [
        {"source": EXTERNAL["source"], "external": True, "given": EXTERNAL}]}, document=Document.objects.get(title="will_0008"))
    before = {d.title: (kept(d), regions(d)) for d in Document.objects.all()}
    notes = list(Annotation.objects.filter(page__isnull=True).values_list("document__title", "motivation", "target"))
    assert notes[0][2][0]["given"] == EXTERNAL
    first = tmp_path / "first.zip"
    call_command("export_collection", "letters", str(first), "--base-url", "http://archive.example")
    call_command("flush", "--noinput")
    django_user_model.objects.create_superuser("restorer", "r@example.org", "pw-12345678")
    call_command("import_collection", str(first), stdout=io.StringIO())
    after = {d.title: (kept(d), regions(d)) for d in Document.objects.all()}
    assert after == before  # text, geometry, ids, line and region types, words, alternatives, provenance
    assert list(Annotation.objects.filter(page__isnull=True).values_list("document__title", "motivation", "target")) == notes
    second = tmp_path / "second.zip"
    call_command("export_collection", "letters", str(second), "--base-url", "http://archive.example")
    one, two = read_zip(first), read_zip(second)
    assert json.loads(two["manifest.json"])["archive"] == json.loads(one["manifest.json"])["archive"]
    xml = [n for n in one if n.endswith(".xml")]
    assert any(n.endswith("mets.xml") for n in xml) and len(xml) == 15  # ALTO, PAGE and METS of 5 documents
    by_normal = {_normalise(n): n for n in two}
    for name in xml:
        assert two[by_normal[_normalise(name)]] == one[name], name
