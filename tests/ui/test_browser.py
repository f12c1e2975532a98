"""The curator interface in a real headless Chromium, against a live server with a real Celery worker.

One scenario test walks the whole curator flow (a worker is started once): sign in,
upload a scan, transcribe it and watch the job reach 100%, correct a line with the
keyboard and see the version in its history, annotate a text span and an image region,
compare the machine layer with the corrected layer, and write a reflection citing the
annotation. A second test proves a viewer sees no edit controls and that crafted
requests are refused. The ``sessions`` fixture fails a test on any external request.
"""
from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.ui, pytest.mark.django_db(transaction=True)]
JOB_TIMEOUT_MS = 120_000


def scan_png() -> tuple[bytes, list]:
    """A synthetic handwritten page (the project's own renderer) as PNG bytes, and its true line geometry."""
    from tests.jobs.conftest import render_pages

    image, lines = render_pages(1, 3, seed=11, width=800)[0]
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue(), lines


def add_line_geometry(page, rendered_lines, user) -> None:
    """The page's lines as an import of a line-level layout would give them (the geometry service).

    Segmentation has its own tests; giving the lines here keeps this browser test about the
    interface and independent of the segmenter's accuracy on one synthetic page."""
    from archive.services.layout.lines import add_line as create_line

    for i, ln in enumerate(rendered_lines):
        create_line(page=page, user=user, polygon=[[int(x), int(y)] for x, y in ln.polygon],
                    baseline=[[int(x), int(y)] for x, y in ln.baseline], order=i)


def test_curator_flow(transactional_db, sessions, collection, users, htr_model, start_worker, tmp_path):
    from archive.models import Document
    from inscription.models import Annotation, Comparison, Inscription, Reflection
    from jobs.models import Job

    collection.default_model = htr_model
    collection.save(update_fields=["default_model"])
    worker = start_worker("ui")
    s = sessions()
    page = s.page

    # --- sign in and upload a scan (one good file, one bad one: per-file result and error) --------
    s.login("curator")
    expect(page.get_by_role("link", name="Letters")).to_be_visible()
    page.get_by_role("link", name="Letters").click()
    expect(page.get_by_role("heading", name="Upload files")).to_be_visible()
    png, rendered_lines = scan_png()
    page.locator(".file-input").set_input_files([{"name": "letter-1916.png", "mimeType": "image/png", "buffer": png}])
    # a bad file dropped on the drop zone (the drag-and-drop path): its own row, its own error
    page.locator(".dropzone").evaluate(
        """(zone) => { const dt = new DataTransfer();
                       dt.items.add(new File(["this is not an image"], "broken.png", {type: "image/png"}));
                       zone.dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true})); }""")
    good = page.locator(".upload", has_text="letter-1916.png")
    bad = page.locator(".upload", has_text="broken.png")
    expect(good.locator(".status")).to_contain_text("Done: 1 page", timeout=60_000)
    expect(bad).to_have_class(re.compile("failed"))
    expect(bad.locator(".status")).to_contain_text("Failed:")
    document = Document.objects.get(collection=collection)
    assert document.pages.count() == 1
    add_line_geometry(document.pages.get(), rendered_lines, users["curator"])

    # --- start a transcription job from the document page and watch it on the Jobs page ----------
    good.get_by_role("link", name="open").click()
    expect(page.get_by_role("heading", name=document.title)).to_be_visible()
    page.get_by_role("button", name="Transcribe").click()
    expect(page.locator(".flash-success")).to_contain_text("job #")
    job = Job.objects.get(document=document, kind="transcribe")
    page.get_by_role("link", name="Jobs", exact=True).click()
    row = page.locator(f"#job-{job.pk}")
    expect(row).to_be_visible()
    try:
        expect(row.locator(".pct")).to_have_text("100%", timeout=JOB_TIMEOUT_MS)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n--- worker log ---\n{worker.output()[-5000:]}") from exc
    expect(row.locator(".state")).to_have_text("Succeeded")
    job.refresh_from_db()
    assert job.state == "succeeded", worker.output()[-3000:]
    assert job.progress_percent == 100
    s.shot("jobs")

    # --- the workspace: the machine layer beside the scan ----------------------------------------
    page.goto(f"/d/{document.pk}/")
    page.get_by_role("link", name="Open the workspace").click()
    lines = page.locator("ol#lines > li.line")
    expect(lines.first).to_be_visible()
    n_lines = lines.count()
    assert n_lines >= 2
    assert page.locator("svg.overlay polygon.line-poly").count() == n_lines
    # hovering a line links its polygon
    lines.nth(0).hover()
    expect(page.locator("polygon.line-poly.hover")).to_have_count(1)
    # the confidence threshold marks characters client-side
    page.locator("#threshold").fill("1")
    # Every character the machine was less than fully sure of is marked; fully sure ones are not.
    unsure = page.locator(".ch[data-c]").evaluate_all("els => els.filter(e => parseFloat(e.dataset.c) < 1).length")
    assert unsure > 0
    assert page.locator(".ch.lowconf").count() == unsure
    page.locator("#threshold").fill("0")
    expect(page.locator(".ch.lowconf")).to_have_count(0)
    page.locator("#threshold").fill("0.8")

    # --- correct line 2 with the keyboard: Enter edits, Enter saves a new human version ---------
    lines.nth(0).focus()
    page.keyboard.press("ArrowDown")
    second = lines.nth(1)
    expect(second).to_be_focused()
    line_id = int(second.get_attribute("data-line"))
    page.keyboard.press("Enter")
    box = second.locator("input.line-input")
    expect(box).to_be_focused()
    truth = rendered_lines[1].text  # what the page really says (the renderer's ground truth)
    box.fill("a draft that is thrown away")
    page.keyboard.press("Escape")  # Esc cancels: nothing saved
    expect(page.locator("input.line-input")).to_have_count(0)
    assert not Inscription.objects.filter(line_id=line_id, created_by=users["curator"]).exists()
    page.keyboard.press("Enter")
    page.locator("input.line-input").fill(truth)
    page.keyboard.press("Enter")
    saved = page.locator(f"#line-{line_id}")
    expect(saved.locator(".note")).to_contain_text("Saved as version 1")
    expect(saved.locator(".text")).to_have_text(truth)
    human = Inscription.objects.get(line_id=line_id, created_by=users["curator"], is_current=True)
    assert human.text == truth
    # k moves up: correct line 1 as well
    expect(saved).to_be_focused()
    page.keyboard.press("k")
    expect(lines.nth(0)).to_be_focused()
    page.keyboard.press("Enter")
    page.locator("input.line-input").fill(rendered_lines[0].text)
    page.keyboard.press("Enter")
    expect(lines.nth(0).locator(".note")).to_contain_text("Saved as version 1")
    page.keyboard.press("j")
    expect(saved).to_be_focused()
    # its history names the person and the model
    expect(saved).to_be_focused()
    page.keyboard.press("h")
    history = page.locator("#history-panel")
    expect(history).to_contain_text("History of line")
    expect(history).to_contain_text("curator")
    expect(history).to_contain_text(f"model {htr_model.name}")
    # one current human version holds the truth (the machine's current reading may hold it too: a good model)
    expect(history.locator(".version.current", has_text=truth).filter(has=page.locator(".agent.human"))).to_have_count(1)
    s.shot("workspace")

    # --- annotate a text span (in the corrected ground-truth line) -------------------------------
    page.goto(f"/p/{human.line.page_id}/?layer={human.layer_id}")
    text = page.locator(f"#line-{line_id} .text")
    word = max(truth.split(), key=len)
    start = truth.index(word)
    page.evaluate(
        """([el, start, end]) => { const r = document.createRange(); const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
                      const node = walker.nextNode(); r.setStart(node, start); r.setEnd(node, end);
                      const sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(r);
                      el.dispatchEvent(new MouseEvent('mouseup', {bubbles: true})); }""",
        [text.element_handle(), start, start + len(word)],
    )
    form = page.locator("#annotate-form")
    expect(form).to_be_visible()
    expect(form.locator(".target-desc")).to_contain_text(f"“{word}”")
    page.get_by_label("Motivation").select_option("questioning")
    page.get_by_label("Comment").fill("Is this the word the writer meant?")
    page.get_by_label("Tags").fill("doubt, reading")
    form.get_by_role("button", name="Save annotation").click()
    expect(page.locator("#annotations-panel li.annotation")).to_have_count(1)
    expect(page.locator("#annotations-panel blockquote.quote")).to_have_text(word)
    span_ann = Annotation.objects.get(line_id=line_id)
    assert span_ann.motivation == "questioning"
    selectors = {sel["type"]: sel for sel in span_ann.target[0]["selector"]}
    assert selectors["TextQuoteSelector"]["exact"] == word
    assert (selectors["TextPositionSelector"]["start"], selectors["TextPositionSelector"]["end"]) == (start, start + len(word))
    expect(page.locator(f"#line-{line_id} mark.ann")).to_have_text(word)

    # --- annotate an image region: drag a rectangle on the scan ----------------------------------
    page.get_by_role("button", name="Rectangle").click()
    viewer = page.locator("#viewer").bounding_box()
    x0, y0 = viewer["x"] + viewer["width"] * 0.3, viewer["y"] + viewer["height"] * 0.3
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x0 + 80, y0 + 40, steps=5)
    page.mouse.move(x0 + 160, y0 + 70, steps=5)
    page.mouse.up()
    expect(form.locator(".target-desc")).to_contain_text("Target: region")
    page.get_by_label("Comment").fill("A stain over the date.")
    form.get_by_role("button", name="Save annotation").click()
    expect(page.locator("#annotations-panel li.annotation")).to_have_count(2)
    region = Annotation.objects.exclude(pk=span_ann.pk).get()
    page.get_by_role("button", name="Pan").click()
    assert region.page_id == human.line.page_id
    assert region.target[0]["selector"][0]["value"].startswith("xywh=")
    expect(page.locator(f'svg.overlay rect.region-ann[data-ann="{region.pk}"]')).to_have_count(1)
    # and a polygon: click three points, Enter closes it
    page.get_by_role("button", name="Polygon").click()
    for dx, dy in ((0, 0), (120, 10), (60, 90)):
        page.mouse.click(x0 + dx, y0 + dy)
    page.keyboard.press("Enter")
    expect(form.locator(".target-desc")).to_contain_text("polygon of 3 points")
    page.get_by_label("Motivation").select_option("describing")
    form.get_by_role("button", name="Save annotation").click()
    expect(page.locator("#annotations-panel li.annotation")).to_have_count(3)
    polygon = Annotation.objects.get(motivation="describing")
    assert polygon.target[0]["selector"][0]["type"] == "SvgSelector"
    assert "polygon" in polygon.target[0]["selector"][0]["value"]

    # --- compare the machine layer with the corrected layer --------------------------------------
    page.goto(f"/d/{document.pk}/compare/")
    page.get_by_role("button", name="Compare").click()
    expect(page.locator("#cer .value")).to_contain_text("%")
    comparison = Comparison.objects.get(document=document)
    corrected = Inscription.objects.filter(created_by=users["curator"], is_current=True).values_list("pk", flat=True)
    assert sorted(comparison.left_spec["inscription_ids"]) == sorted(corrected)
    expect(page.locator("#cer .label")).to_contain_text(f"{comparison.char_edits} edits / {comparison.ref_chars} chars")
    expect(page.locator("#cer .value")).to_have_text(f"{comparison.cer * 100:.1f}%")
    assert page.locator("table.diff-table tbody tr").count() == 2
    page.get_by_role("link", name="inline").click()
    expect(page.locator("table.diff-table thead")).to_contain_text("Difference")
    page.get_by_role("link", name="side by side").click()
    s.shot("compare")

    # --- a reflection citing the annotation, found through the citation search -------------------
    page.goto(f"/reflections/new/?collection={collection.slug}")
    page.get_by_label("Title").fill("What the machine could not read")
    body = page.locator("#id_body")
    body.fill("The writer's hand falters here ")
    page.get_by_label(re.compile("Search annotations")).fill(word)
    cite = page.locator(f'.cite-insert[data-ref="annotation:{span_ann.pk}"]')
    expect(cite).to_be_visible()
    cite.click()
    expect(body).to_have_value(re.compile(re.escape(f"[@annotation:{span_ann.pk}]")))
    expect(page.locator("#preview a.citation")).to_have_text("[1]")
    page.get_by_role("button", name="Save reflection").click()
    expect(page.get_by_role("heading", name="What the machine could not read")).to_be_visible()
    link = page.locator(".reflection-body a.citation")
    expect(link).to_have_attribute("href", f"/p/{human.line.page_id}/#ann-{span_ann.pk}")
    reflection = Reflection.objects.get()
    assert reflection.citations.filter(ref=f"annotation:{span_ann.pk}").exists()
    link.click()
    expect(page.locator(f"#ann-{span_ann.pk}")).to_be_visible()


def test_viewer_sees_no_edit_controls_and_crafted_requests_are_refused(transactional_db, sessions, collection, users):
    from inscription.models import Annotation, Inscription
    from jobs.models import Job
    from tests.ui.seed import build

    seed = build(collection, users["owner"])
    before = (Inscription.objects.count(), Annotation.objects.count(), Job.objects.count())
    s = sessions()
    s.force_login(users["viewer"])
    page = s.page

    page.goto(f"/p/{seed.page.pk}/")
    lines = page.locator("ol#lines > li.line")
    expect(lines.first).to_be_visible()
    expect(page.locator("#annotate-panel")).to_have_count(0)
    expect(page.get_by_role("button", name="Rectangle")).to_have_count(0)
    lines.first.focus()
    page.keyboard.press("Enter")
    expect(page.locator("input.line-input")).to_have_count(0)
    page.keyboard.press("h")
    expect(page.locator("#history-panel .version").first).to_be_visible()
    expect(page.locator("#history-panel").get_by_role("button", name=re.compile("Restore"))).to_have_count(0)
    page.goto(f"/d/{seed.document.pk}/")
    expect(page.get_by_role("button", name="Transcribe")).to_have_count(0)
    page.goto(f"/c/{collection.slug}/")
    expect(page.get_by_role("heading", name="Upload files")).to_have_count(0)
    expect(page.get_by_role("link", name="Members and roles")).to_have_count(0)

    token = s.csrf()
    headers = {"X-CSRFToken": token, "Referer": s.base_url + "/"}
    gt = seed.document.layers.get(kind="ground_truth")
    crafted = [
        (f"/l/{seed.lines[1].pk}/edit/", {"text": "vandalised", "layer": str(seed.machine.pk)}),
        (f"/l/{seed.lines[0].pk}/restore/", {"version": str(Inscription.objects.filter(line=seed.lines[0]).first().pk)}),
        (f"/p/{seed.page.pk}/annotate/", {"target": f'[{{"source": "page:{seed.page.pk}"}}]', "comment": "x"}),
        (f"/d/{seed.document.pk}/jobs/", {"kind": "transcribe"}),
        (f"/d/{seed.document.pk}/compare/", {"left": f"layer:{gt.pk}", "right": f"layer:{seed.machine.pk}"}),
        (f"/c/{collection.slug}/documents/new/", {"title": "x", "kind": "scan"}),
        (f"/c/{collection.slug}/default-model/", {"model": str(seed.model.pk)}),
        (f"/c/{collection.slug}/members/", {"username": "viewer", "role": "owner", "action": "set"}),
        ("/reflections/new/", {"collection": collection.slug, "title": "x", "body": "y"}),
    ]
    for url, form in crafted:
        response = page.request.post(url, form=form, headers=headers)
        assert response.status in (403, 404), (url, response.status)
    api = page.request.post(f"/api/v1/collections/{collection.slug}/ingest/", headers=headers,
                            multipart={"files": {"name": "a.png", "mimeType": "image/png", "buffer": b"x"}})
    assert api.status in (403, 404)
    assert (Inscription.objects.count(), Annotation.objects.count(), Job.objects.count()) == before
    collection.refresh_from_db()
    assert collection.default_model_id is None
