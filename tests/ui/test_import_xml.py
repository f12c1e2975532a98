"""In the browser: an ALTO import from the collection page shows what was not kept, with counts (issue 19, point 12),
and a second reading is added to a document as a new layer from the document page (point 1)."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.conftest import png_bytes
from tests.formats.interop_helpers import fixture


def test_import_result_lists_what_was_not_kept(transactional_db, sessions, collection, users):
    from archive.models import Document

    s = sessions()
    s.force_login(users["curator"])
    page = s.page
    page.goto(f"/c/{collection.slug}/")
    form = page.locator("form", has=page.get_by_role("button", name="Import as a new document"))
    form.locator("input[name=files]").set_input_files([
        {"name": "gazette_p1.xml", "mimeType": "application/xml", "buffer": fixture("abbyy_alto.xml")},
        {"name": "gazette_p1.png", "mimeType": "image/png", "buffer": png_bytes(600, 400)},
    ])
    form.get_by_role("button", name="Import as a new document").click()
    expect(page.get_by_role("heading", name="Import finished")).to_be_visible()
    table = page.locator("table.not-kept")
    expect(table.locator("tr", has_text="Variant elements")).to_contain_text("1")
    expect(table.locator("tr", has_text="String CC attributes")).to_contain_text("4")
    expect(page.locator(".import-summary")).to_contain_text("ABBYY FineReader Engine 12.0 (machine)")
    doc = Document.objects.get()

    page.goto(f"/d/{doc.pk}/")
    form = page.locator("form", has=page.get_by_role("button", name="Import as a new layer"))
    form.locator("input[name=files]").set_input_files([
        {"name": "again.xml", "mimeType": "application/xml", "buffer": fixture("abbyy_alto.xml")}])
    form.get_by_role("button", name="Import as a new layer").click()
    expect(page.locator(".import-summary")).to_contain_text("2 onto existing lines, 0 new")
    expect(page.locator(".import-summary")).to_contain_text("pages matched by image file name")
    assert Document.objects.count() == 1 and doc.layers.count() == 2


def test_workspace_shows_imported_types_and_document_page_external_targets(transactional_db, sessions, collection, users):
    """Issue 19, points 4 and 10 in the browser: line and region types from an eScriptorium PAGE, and an annotation
    whose target is outside the archive, both shown; neither page has serious accessibility violations."""
    from exchange.formats.xml_import import import_xml
    from inscription.services.annotations import create_annotation
    from tests.ui.axe import axe_violations

    result = import_xml(collection, users["curator"], [("will_0008.xml", fixture("escriptorium_page.xml"))],
                        [("will_0008.jpg", png_bytes(600, 400))])
    doc = result.document
    create_annotation(users["curator"], {"motivation": "bookmarking", "target": [
        {"source": "https://example.org/iiif/canvas/1", "external": True, "given": "https://example.org/iiif/canvas/1"}]},
        document=doc)
    s = sessions()
    s.force_login(users["curator"])
    page = s.page
    page.goto(f"/p/{doc.pages.get().pk}/")
    expect(page.locator(".line-type").first).to_have_text("HeadingLine in MainZone")
    expect(page.locator(".line-type").nth(3)).to_have_text("InterlinearLine in MarginTextZone")
    assert axe_violations(page) == []
    page.goto(f"/d/{doc.pk}/")
    external = page.locator(".external-annotations")
    expect(external).to_contain_text("Bookmarking")
    expect(external.get_by_role("link", name="https://example.org/iiif/canvas/1")).to_be_visible()
    assert axe_violations(page) == []
