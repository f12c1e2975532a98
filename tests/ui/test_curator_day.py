"""The curator's day in a real Chromium with a real worker: a batch over three documents, pages that
update themselves, status and progress, pages added and reordered, TEI and ALTO downloads, annotations
edited and deleted, the project's 404; and axe-core on the main pages at 1280 and 390 px.

The ``sessions`` fixture fails a test on any request to another host and on any console error.
"""
from __future__ import annotations

import io

import pytest
from playwright.sync_api import expect

from tests.ui.axe import DESKTOP, PHONE, check_page
from tests.ui.conftest import SCREENSHOTS

pytestmark = [pytest.mark.ui, pytest.mark.django_db(transaction=True)]
JOB_TIMEOUT_MS = 240_000


def three_documents(collection, users):
    from archive.models import Document
    from tests.jobs.conftest import add_pages, render_pages

    docs = []
    for i, title in enumerate(("Letter from Arras", "Letter from Ypres", "Letter from Verdun")):
        doc = Document.objects.create(collection=collection, title=title, created_by=users["owner"])
        add_pages(doc, render_pages(1, 2, seed=30 + i, width=700))
        docs.append(doc)
    return docs


def png(seed: int = 5) -> bytes:
    from tests.jobs.conftest import render_pages

    image, _ = render_pages(1, 2, seed=seed, width=600)[0]
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_batch_live_pages_status_pages_and_exports(transactional_db, sessions, collection, users, htr_model, start_worker):
    from exchange.formats.tei import validate_tei
    from jobs.models import Job

    collection.default_model = htr_model
    collection.save(update_fields=["default_model"])
    docs = three_documents(collection, users)
    first_page = docs[0].pages.get()
    worker = start_worker("day")
    s = sessions()
    s.force_login(users["curator"])
    page = s.page

    # A second tab watches the first document's page; it must change without a reload.
    watcher = s.context.new_page()
    watcher.goto(f"/d/{docs[0].pk}/")
    badge = watcher.locator(f'li[data-page="{first_page.pk}"] .status-badge')
    expect(badge).to_have_text("New")
    watcher.evaluate("() => { window.__notReloaded = true; }")

    # --- select the three documents and transcribe them in one batch ---------------------------
    page.goto(f"/c/{collection.slug}/")
    for doc in docs:
        page.get_by_label(f"Select {doc.title}").check()
    page.get_by_label("Job", exact=True).select_option("transcribe")
    page.get_by_role("button", name="Start the batch").click()
    expect(page.get_by_role("heading", name="Transcribe batch")).to_be_visible()
    parent = Job.objects.get(parent__isnull=True, kind="transcribe")
    assert sorted(parent.children.values_list("document_id", flat=True)) == sorted(d.pk for d in docs)
    expect(page.locator("table.batch-children tbody tr")).to_have_count(3)
    try:
        expect(page.locator("#job-card .state").first).to_have_text("Succeeded", timeout=JOB_TIMEOUT_MS)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n--- worker log ---\n{worker.output()[-5000:]}") from exc
    expect(page.locator("table.batch-children .state-succeeded")).to_have_count(3)
    s.shot("batch-job")
    expect(badge).to_have_text("Transcribed", timeout=60_000)  # the watcher, without a reload
    assert watcher.evaluate("() => window.__notReloaded === true")
    expect(watcher.locator("#document-live")).not_to_contain_text("No transcription yet")

    # --- mark a page verified; the collection's progress changes in the other tab --------------
    watcher.goto(f"/c/{collection.slug}/")
    verified = watcher.locator('#collection-live [data-status-count="verified"]')
    expect(verified).to_have_text("0")
    watcher.evaluate("() => { window.__notReloaded = true; }")
    page.goto(f"/p/{first_page.pk}/")
    page.get_by_role("button", name="Mark verified").click()
    expect(page.locator("#page-status .status-badge")).to_have_text("Verified")
    expect(verified).to_have_text("1", timeout=30_000)
    assert watcher.evaluate("() => window.__notReloaded === true")
    expect(watcher.locator("#collection-live .verified-percent")).to_have_text("33%")
    watcher.screenshot(path=str(SCREENSHOTS / "progress-overview.png"), full_page=True)
    watcher.close()

    # --- add a page to the existing document, then move it to the front ------------------------
    page.goto(f"/d/{docs[0].pk}/")
    page.locator("#manage-pages .file-input").set_input_files([{"name": "added-leaf.png", "mimeType": "image/png",
                                                               "buffer": png()}])
    expect(page.locator("#manage-pages .upload .status")).to_contain_text("Done: 1 page", timeout=60_000)
    assert list(docs[0].pages.order_by("order").values_list("original_filename", flat=True))[-1] == "added-leaf.png"
    page.reload()
    expect(page.locator(".page-order li")).to_have_count(2)
    page.get_by_role("button", name="Move page 2 up").click()
    expect(page.locator(".flash-success")).to_contain_text("now page 1")
    assert docs[0].pages.order_by("order").first().original_filename == "added-leaf.png"
    expect(page.locator("#document-live .thumbs li").first.locator("img")).to_have_attribute("alt", "Page 1")

    # --- export TEI and ALTO from the document page and download them --------------------------
    for fmt, label in (("tei", "Download TEI"), ("alto", "Download ALTO")):
        page.get_by_label("Format").select_option(fmt)
        page.get_by_role("button", name="Export", exact=True).click()
        expect(page.locator(".flash-success")).to_contain_text("Export job")
        link = page.get_by_role("link", name=label)
        try:
            expect(link).to_be_visible(timeout=JOB_TIMEOUT_MS)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n--- worker log ---\n{worker.output()[-5000:]}") from exc
        with page.expect_download() as info:
            link.click()
        data = open(info.value.path(), "rb").read()
        if fmt == "tei":
            assert validate_tei(data) == [] and b"<facsimile>" in data and b"added-leaf.png" not in data.split(b"<text>")[1]
        else:
            assert b"alto" in data[:400] and b'LABEL="dcterms:isPartOf" DESCRIPTION="Letters"' in data
    assert worker.proc.poll() is None

    # --- a missing URL gives the project's 404 ---------------------------------------------------
    response = page.goto("/no/such/place/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("URL patterns")


def test_annotation_edit_and_delete_in_the_browser(transactional_db, sessions, collection, users):
    from inscription.models import Annotation
    from inscription.services.annotations import create_annotation
    from tests.ui.seed import build

    seed = build(collection, users["owner"])
    region = create_annotation(users["curator"], {
        "motivation": "describing", "body": [{"type": "TextualBody", "value": "A stain", "purpose": "describing"}],
        "target": [{"source": f"page:{seed.page.pk}", "selector": [{"type": "FragmentSelector", "value": "xywh=10,20,120,40"}]}],
    })
    s = sessions()
    s.force_login(users["curator"])
    page = s.page
    page.goto(f"/p/{seed.page.pk}/")
    item = page.locator(f"#ann-{region.pk}")
    expect(item.locator("figure.region-thumb svg")).to_be_visible()
    expect(item).not_to_contain_text("xywh")
    item.get_by_text("Edit or delete").click()
    item.get_by_label("Note", exact=True).fill("A stain over the date")
    item.get_by_role("button", name="Save changes").click()
    expect(page.locator(f"#ann-{region.pk}")).to_contain_text("A stain over the date")
    expect(page.locator(f"#ann-{region.pk}")).to_contain_text("version 2")
    assert Annotation.objects.get(pk=region.pk).version == 2
    expect(page.locator(f'svg.overlay .region-ann[data-ann="{region.pk}"]')).to_have_count(1)
    page.locator(f"#ann-{region.pk}").get_by_text("Edit or delete").click()
    page.get_by_role("button", name=f"Delete annotation {region.pk}").click()
    expect(page.locator(f"#ann-{region.pk}")).to_have_count(0)
    expect(page.locator(f'svg.overlay .region-ann[data-ann="{region.pk}"]')).to_have_count(0)
    assert Annotation.objects.get(pk=region.pk).withdrawn
    # the skip link leads to the first line
    page.goto(f"/p/{seed.page.pk}/")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to the first line")
    page.keyboard.press("Enter")
    expect(page.locator("ol#lines > li.line").first).to_be_focused()
    # the history panel comes into view when opened (a phone-sized window puts it below the fold)
    page.set_viewport_size(PHONE)
    page.locator("ol#lines > li.line").first.focus()
    page.keyboard.press("h")
    expect(page.locator("#history-panel")).to_contain_text("History of line")
    expect(page.locator("#history-panel")).to_be_in_viewport()


def test_main_pages_have_no_serious_accessibility_violations_and_no_sideways_scroll(transactional_db, sessions, collection,
                                                                                     users):
    from inscription.services.batches import start_batch
    from tests.ui.seed import build

    seed = build(collection, users["owner"])
    batch = start_batch("segment", collection, user=users["curator"])
    s = sessions()
    s.force_login(users["curator"])
    urls = ["/", f"/c/{collection.slug}/", f"/d/{seed.document.pk}/", f"/p/{seed.page.pk}/", "/jobs/", f"/jobs/{batch.pk}/",
            "/models/", "/reflections/", f"/d/{seed.document.pk}/compare/", "/no/such/page/"]
    problems = []
    for url in urls:
        problems += check_page(s.page, url, sizes=(DESKTOP, PHONE))
    assert not problems, "\n".join(problems)
