"""ALTO/PAGE imports keep region types (SegmOnto), baselines and reading order; exports write them back."""
from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).parent / "fixtures"
WILL = "TestamentsDePoilus_will_AN_0063-0"
ALTO = "{http://www.loc.gov/standards/alto/ns-v4#}"


def import_will(collection, user):
    from exchange.formats.xml_import import import_xml

    return import_xml(collection, user, [(f"{WILL}.xml", (FIXTURES / f"{WILL}.xml").read_bytes())],
                      [(f"{WILL}.jpg", (FIXTURES / f"{WILL}.jpg").read_bytes())], ground_truth=True)


def source_blocks() -> list[tuple[str, list[str]]]:
    """(zone label, baselines of its lines) per TextBlock of the fixture, in document order."""
    root = etree.parse(str(FIXTURES / f"{WILL}.xml")).getroot()
    labels = {t.get("ID"): t.get("LABEL") for t in root.iter(f"{ALTO}OtherTag")}
    return [(labels[b.get("TAGREFS")], [ln.get("BASELINE") for ln in b.iter(f"{ALTO}TextLine")])
            for b in root.iter(f"{ALTO}TextBlock")]


def test_alto_import_keeps_region_types_baselines_and_order(collection, users):
    from archive.models import Page

    result = import_will(collection, users["curator"])
    page = Page.objects.get(document=result.document)
    blocks = source_blocks()
    regions = list(page.regions.order_by("order"))
    assert [r.kind for r in regions] == [kind for kind, _ in blocks]
    assert {"MainZone", "MarginTextZone", "NumberingZone"} <= {r.kind for r in regions}
    lines = list(page.lines.order_by("order"))
    expected = [base for _, bases in blocks for base in bases]
    assert [" ".join(f"{x} {y}" for x, y in ln.baseline) for ln in lines] == expected
    assert [ln.region.kind for ln in lines] == [kind for kind, bases in blocks for _ in bases]


def test_exports_write_region_types_back(collection, users):
    from archive.models import Page
    from exchange.formats.alto import export_alto
    from exchange.formats.pagexml import export_page_xml

    result = import_will(collection, users["curator"])
    page = Page.objects.get(document=result.document)
    alto = etree.fromstring(export_alto([page]))
    labels = {t.get("ID"): t.get("LABEL") for t in alto.iter(f"{ALTO}OtherTag") if (t.get("DESCRIPTION") or "").startswith("block type")}
    written = [labels.get(b.get("TAGREFS")) for b in alto.iter(f"{ALTO}TextBlock")]
    assert written == [kind for kind, _ in source_blocks()]
    baselines = [ln.get("BASELINE").replace(",", " ") for ln in alto.iter(f"{ALTO}TextLine")]
    assert baselines == [base for _, bases in source_blocks() for base in bases]
    page_xml = etree.fromstring(export_page_xml(page))
    ns = "{http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15}"
    regions = list(page_xml.iter(f"{ns}TextRegion"))
    assert [r.get("custom").split("structure {type:")[1].rstrip(";}") for r in regions] == [k for k, _ in source_blocks()]
    assert {r.get("type") for r in regions} >= {"paragraph", "marginalia"}

    # and the PAGE file reads back with the same region types
    from exchange.formats import readers

    [parsed] = readers.read(page_xml, "will.xml")
    assert [r.kind for r in parsed.regions] == [k for k, _ in source_blocks()]


@pytest.mark.django_db(transaction=True)
def test_collection_archive_keeps_the_layout_history(laid_out, users, tmp_path, django_user_model):
    """Retired lines (and the texts on them) and every geometry revision survive export → restore."""
    import io
    import zipfile

    from django.core.management import call_command

    from archive.models import Collection, GeometryRevision, Line
    from archive.services.layout.lines import edit_line
    from archive.services.layout.split_merge import merge_lines

    a, b, c = laid_out["lines"]
    edit_line(c, user=users["curator"], baseline=[[0, 110], [400, 112]])
    merge_lines(a, b, user=users["curator"])
    out = tmp_path / "letters.zip"
    call_command("export_collection", "letters", str(out), "--base-url", "http://archive.example")
    revisions = GeometryRevision.objects.count()
    with zipfile.ZipFile(out) as zf:
        assert any("geometry_revisions" in zf.read(n).decode() for n in zf.namelist() if n.endswith(".json"))
    call_command("flush", "--noinput")
    assert GeometryRevision.objects.count() == 0
    django_user_model.objects.create_superuser("restorer", "r@example.org", "pw-12345678")
    call_command("import_collection", str(out), stdout=io.StringIO())
    restored = Collection.objects.get(slug="letters")
    lines = Line.all_objects.filter(page__document__collection=restored)
    assert lines.count() == 3 and lines.filter(retired=True).count() == 1
    assert Line.objects.filter(page__document__collection=restored).count() == 2
    assert GeometryRevision.objects.filter(page__document__collection=restored).count() == revisions
    assert {r.action for r in GeometryRevision.objects.filter(page__document__collection=restored)} >= {"initial", "edit", "merge"}
