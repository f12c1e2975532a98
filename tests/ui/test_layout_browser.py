"""The layout editor in a real headless Chromium, against a live server and a REAL Celery worker (issue 16).

A curator splits a line, merges two, drags a baseline point, adds a missing line, reorders
lines by keyboard and by mouse, sees the old geometry in the line's history, and
re-transcribes only the changed lines; an annotation on the split line is re-anchored
or flagged orphaned. A second test opens a real will (Testaments de Poilus, CC-BY 4.0)
imported from its ALTO and writes the screenshots in docs/screenshots.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.ui, pytest.mark.django_db(transaction=True)]
JOB_TIMEOUT_MS = 300_000


def screen_point(page, x: float, y: float) -> tuple[float, float]:
    """Page pixels → screen coordinates through the overlay's transform."""
    return tuple(page.evaluate(
        """([x, y]) => { const svg = document.querySelector('svg.overlay'); const pt = svg.createSVGPoint();
                         pt.x = x; pt.y = y; const s = pt.matrixTransform(svg.getScreenCTM()); return [s.x, s.y]; }""", [x, y]))


def show_page_point(page, x: float, y: float) -> None:
    """Scroll and pan until the page point (x, y) of the scan is on screen (clicks must land on it)."""
    page.locator("#viewer").evaluate("v => v.scrollIntoView({block: 'end'})")
    for _ in range(40):
        sx, sy = screen_point(page, x, y)
        box = page.locator("#viewer").bounding_box()
        if box["y"] + 10 < sy < min(box["y"] + box["height"], page.viewport_size["height"]) - 10:
            return
        page.locator("#viewer").focus()
        page.keyboard.press("ArrowDown" if sy > box["y"] + 10 else "ArrowUp")
    raise AssertionError(f"page point {(x, y)} could not be brought on screen")


def line_ids(page) -> list[int]:
    return [int(v) for v in page.locator("li.line").evaluate_all("rows => rows.map(r => r.dataset.line)")]


def test_layout_editing_flow(transactional_db, sessions, collection, users, htr_model, start_worker):
    from archive.models import Document, GeometryRevision, Line
    from inscription.models import AnnotationVersion, Inscription
    from inscription.services.annotations import create_annotation
    from jobs.models import Job
    from jobs.services.jobs import create_job
    from tests.jobs.conftest import add_pages, final_job, render_pages

    document = Document.objects.create(collection=collection, title="Will of a soldier", created_by=users["owner"])
    collection.default_model = htr_model
    collection.save(update_fields=["default_model"])
    [scan] = add_pages(document, render_pages(1, 4, seed=11, width=800), with_lines=True)
    worker = start_worker("layout-ui")
    first = create_job("transcribe", collection, document=document, params={"model": htr_model.pk}, user=users["curator"])
    assert final_job(first.pk, worker).state == "succeeded"
    l1, l2, l3, l4 = list(scan.lines.order_by("order"))
    old_baseline = " ".join(f"{x:g},{y:g}" for x, y in l1.baseline)
    reading = Inscription.objects.get(line=l1, is_current=True)
    words = reading.text.split(" ")
    target = {"source": f"inscription:{reading.pk}"}
    if len(words) > 1 and words[-1]:
        target["selector"] = [{"type": "TextPositionSelector", "start": len(reading.text) - len(words[-1]), "end": len(reading.text)}]
    annotation = create_annotation(users["curator"], {"motivation": "commenting", "target": [target],
                                                      "body": [{"type": "TextualBody", "value": "the last word"}]})

    s = sessions()
    s.force_login(users["curator"])
    page = s.page
    page.goto(f"/p/{scan.pk}/")
    page.get_by_role("button", name="Edit layout").click()
    expect(page.locator("#layout-bar")).to_be_visible()

    # --- split line 1 where the pointer clicks ---------------------------------------------
    page.get_by_role("button", name="Split", exact=True).click()
    xs = [p[0] for p in l1.baseline]
    cut = min(xs) + 0.55 * (max(xs) - min(xs))
    ys = [p[1] for p in l1.polygon]
    page.mouse.click(*screen_point(page, cut, (min(ys) + max(ys)) / 2))
    expect(page.locator("li.line")).to_have_count(5)
    right = Line.objects.exclude(pk__in=[l1.pk, l2.pk, l3.pk, l4.pk]).get(page=scan)
    assert line_ids(page) == [l1.pk, right.pk, l2.pk, l3.pk, l4.pk]
    assert abs(max(p[0] for p in Line.objects.get(pk=l1.pk).polygon) - round(cut)) <= 1
    # the annotation on the split line's words was re-anchored (onto the part holding them) or flagged orphaned
    acts = list(AnnotationVersion.objects.filter(annotation=annotation).order_by("version").values_list("action", flat=True))
    assert acts[-1] in ("reanchor", "orphan"), acts
    expect(page.locator(f"#ann-{annotation.pk}")).to_be_visible()

    # --- merge lines 2 and 3 (select a row, "Merge with next") -------------------------------
    page.locator(f"#line-{l2.pk} .ln").click()
    page.get_by_role("button", name="Merge with next").click()
    expect(page.locator("li.line")).to_have_count(4)
    assert Line.all_objects.get(pk=l3.pk).retired and line_ids(page) == [l1.pk, right.pk, l2.pk, l4.pk]

    # --- drag a baseline point of line 1 ------------------------------------------------------
    page.locator(f"#line-{l1.pk} .ln").click()
    handle = page.locator(".handle.base-pt").first
    box = handle.bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx + 3, cy - 10, steps=5)
    page.mouse.up()
    expect(page.locator("#layout-status")).to_contain_text("Saved: line version")
    moved = Line.objects.get(pk=l1.pk)
    assert moved.baseline[0][1] < l1.baseline[0][1] and moved.version >= 3

    # --- add a missing line below the last one ----------------------------------------------
    page.get_by_role("button", name="Add line").click()
    bottom = max(p[1] for ln in Line.objects.filter(page=scan) for p in ln.polygon)
    assert scan.height - bottom > 12, "the synthetic page leaves room for a line below the last one"
    y0, y1 = bottom + 3, min(scan.height - 2, bottom + 30)
    show_page_point(page, scan.width / 2, y1)
    for x, y in [(60, y0), (scan.width - 60, y0), (scan.width - 60, y1), (60, y1)]:
        page.mouse.click(*screen_point(page, x, y))
    page.keyboard.press("Enter")
    expect(page.locator("#layout-status")).not_to_contain_text("not added")
    expect(page.locator("li.line")).to_have_count(5)
    added = Line.objects.exclude(pk__in=[l1.pk, right.pk, l2.pk, l4.pk]).get(page=scan)
    assert line_ids(page)[-1] == added.pk and len(added.baseline) == 2

    # --- reorder: keyboard (Alt+↑ on the selected row), then mouse (drag a row) ---------------
    expect(page.locator(f"#line-{added.pk}")).to_be_focused()
    page.keyboard.press("Alt+ArrowUp")
    expect(page.locator("li.line").nth(3)).to_have_attribute("data-line", str(added.pk))
    with page.expect_navigation():  # the new order is saved, then the workspace reloads
        page.locator(f"#line-{added.pk}").drag_to(page.locator(f"#line-{l4.pk}"), target_position={"x": 20, "y": 40})
    expect(page.locator("li.line").nth(4)).to_have_attribute("data-line", str(added.pk))
    assert list(Line.objects.filter(page=scan).order_by("order").values_list("pk", flat=True)) == \
        [l1.pk, right.pk, l2.pk, l4.pk, added.pk]

    # --- the history shows the old geometry --------------------------------------------------
    page.locator(f"#line-{l1.pk} .history-btn").click()
    initial = page.locator('#history-panel .geometry-rev[data-action="initial"]')
    expect(initial.locator(".geom-baseline")).to_have_text(old_baseline)
    expect(page.locator('#history-panel .geometry-rev[data-action="edit"]')).to_have_count(1)
    expect(page.locator('#history-panel .geometry-rev[data-action="split"]')).to_have_count(1)
    assert list(GeometryRevision.objects.filter(line=l1).order_by("version").values_list("action", flat=True)) == \
        ["initial", "split", "edit"]

    # --- re-transcribe only the changed lines (l4 is untouched) -------------------------------
    button = page.get_by_role("button", name="Re-transcribe changed lines (4)")
    expect(button).to_be_enabled()
    button.click()
    expect(page.locator(".flash-success")).to_contain_text("job #")
    job = Job.objects.filter(document=document, kind="transcribe").order_by("-pk").first()
    assert job.pk != first.pk
    assert final_job(job.pk, worker).state == "succeeded"
    changed = sorted([l1.pk, right.pk, l2.pk, added.pk])
    assert sorted(job.parameters["lines"]) == changed
    assert sorted(Inscription.objects.filter(job=job).values_list("line_id", flat=True)) == changed
    assert not Inscription.objects.filter(job=job, line=l4).exists()
    page.goto(f"/p/{scan.pk}/?layout=1")
    expect(page.get_by_role("button", name="Re-transcribe changed lines (0)")).to_be_disabled()
    s.shot("layout-editor-synthetic")


WILL = "TestamentsDePoilus_will_AN_0063-0"
FIXTURES = Path(__file__).resolve().parents[1] / "layout" / "fixtures"


def test_real_will_layout_screenshots(transactional_db, sessions, collection, users):
    """A real will with its imported segmentation (regions by SegmOnto type, baselines, reading order)
    in the layout editor; a refused self-intersecting edit; a baseline dragged and its old shape in the history."""
    from archive.models import Page
    from exchange.formats.xml_import import import_xml

    result = import_xml(collection, users["curator"], [(f"{WILL}.xml", (FIXTURES / f"{WILL}.xml").read_bytes())],
                        [(f"{WILL}.jpg", (FIXTURES / f"{WILL}.jpg").read_bytes())], ground_truth=True,
                        title="Testament (Testaments de Poilus AN_0063)")
    scan = Page.objects.get(document=result.document)
    lines = list(scan.lines.order_by("order"))
    s = sessions()
    s.force_login(users["curator"])
    page = s.page
    page.goto(f"/p/{scan.pk}/?layout=1&sel={lines[2].pk}")
    expect(page.locator("#layout-bar")).to_be_visible()
    expect(page.locator(".region-poly")).to_have_count(scan.regions.count())
    expect(page.locator(".layout-extras .baseline")).to_have_count(len(lines))
    expect(page.locator(".handle.base-pt")).to_have_count(len(lines[2].baseline))
    s.shot("layout-editor-real-will")

    # drag a baseline point of the selected line; the history shows the old baseline
    handle = page.locator(".handle.base-pt").last
    box = handle.bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx, cy + 6, steps=4)
    page.mouse.up()
    expect(page.locator("#layout-status")).to_contain_text("Saved: line version 2")
    page.locator(f"#line-{lines[2].pk} .history-btn").click()
    old = " ".join(f"{x:g},{y:g}" for x, y in lines[2].baseline)
    expect(page.locator('#history-panel .geometry-rev[data-action="initial"] .geom-baseline')).to_have_text(old)
    page.locator("#history-panel").scroll_into_view_if_needed()
    s.shot("layout-history-real-will")


def test_a_missing_line_drawn_as_its_baseline_gets_a_polygon_fitted_on_the_scan(transactional_db, sessions, collection,
                                                                                  users):
    """A curator retires a line of a real will, then draws it again as a baseline only (the "Add baseline" tool,
    two clicks and Enter): the server fits its polygon on the scan, close to the one the ALTO had."""
    from shapely.geometry import Point, Polygon

    from archive.models import Line, Page
    from archive.services.layout.lines import delete_line
    from exchange.formats.xml_import import import_xml

    result = import_xml(collection, users["curator"], [(f"{WILL}.xml", (FIXTURES / f"{WILL}.xml").read_bytes())],
                        [(f"{WILL}.jpg", (FIXTURES / f"{WILL}.jpg").read_bytes())], ground_truth=True,
                        title="Testament (Testaments de Poilus AN_0063)")
    scan = Page.objects.get(document=result.document)
    lines = list(scan.lines.order_by("order"))
    gone = lines[3]
    delete_line(gone, user=users["curator"])
    s = sessions()
    s.force_login(users["curator"])
    page = s.page
    page.goto(f"/p/{scan.pk}/?layout=1")
    expect(page.locator("li.line")).to_have_count(len(lines) - 1)
    page.get_by_role("button", name="Add baseline").click()
    expect(page.locator("#layout-status")).to_contain_text("baseline")
    first, last = gone.baseline[0], gone.baseline[-1]
    show_page_point(page, *first)
    page.mouse.click(*screen_point(page, *first))
    page.mouse.click(*screen_point(page, *last))
    page.keyboard.press("Enter")
    expect(page.locator("li.line")).to_have_count(len(lines))
    expect(page.locator("#layout-status")).not_to_contain_text("not added")
    added = Line.objects.filter(page=scan).exclude(pk__in=[ln.pk for ln in lines]).get()
    assert len(added.baseline) == 2 and abs(added.baseline[0][0] - first[0]) <= 8  # a screen pixel is ~3 page pixels
    fitted, before = Polygon(added.polygon), Polygon(gone.polygon).buffer(0)
    assert fitted.is_valid and fitted.contains(Point((first[0] + last[0]) / 2, (first[1] + last[1]) / 2 - 5))
    assert fitted.intersection(before).area / fitted.union(before).area >= 0.4
    assert list(scan.lines.order_by("order").values_list("pk", flat=True)).index(added.pk) == 3  # back in its place
    s.shot("layout-add-baseline-real-will")

    # "Fit polygon" on an imported line: its ALTO polygon becomes the fitted one, as a new version
    other = Line.objects.get(pk=lines[5].pk)  # renumbered by the deletion and the addition: its version moved
    page.locator(f"#line-{other.pk} .ln").click()
    with page.expect_navigation():  # fitted, then the workspace reloads with the line selected
        page.get_by_role("button", name="Fit polygon").click()
    expect(page.locator(f"#line-{other.pk}")).to_have_class(re.compile("selected"))
    refitted = Line.objects.get(pk=other.pk)
    assert refitted.version == other.version + 1 and refitted.polygon != other.polygon and refitted.baseline == other.baseline
    now, then = Polygon(refitted.polygon), Polygon(other.polygon).buffer(0)
    assert now.intersection(then).area / now.union(then).area >= 0.4
