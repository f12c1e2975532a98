"""Search in a real headless Chromium, over lines a real Celery worker transcribed.

Type a word the machine read into the header's search box, see it highlighted in the text and
boxed on the scan, open the hit in the workspace at that line.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.jobs.conftest import add_pages, final_job, render_pages

pytestmark = [pytest.mark.ui, pytest.mark.jobs, pytest.mark.django_db(transaction=True)]


def test_type_a_word_see_it_on_the_scan_and_open_it_in_the_workspace(sessions, collection, users, htr_model,
                                                                       start_worker):
    from archive.models import Document
    from inscription.models import Inscription
    from jobs.models import JobState
    from jobs.services.jobs import create_job
    from search.text import token_spans

    document = Document.objects.create(collection=collection, title="Letters home", created_by=users["owner"])
    add_pages(document, render_pages(1, 3, seed=5, width=800))
    worker = start_worker("search")
    job = create_job("transcribe", collection, document=document, params={"model": htr_model.pk}, user=users["curator"])
    job = final_job(job.pk, worker)
    assert job.state == JobState.SUCCEEDED, job.error
    # a word the machine read (the longest, so it is rare on the page)
    lines = list(Inscription.objects.filter(job=job).exclude(text=""))
    assert lines and all(i.extra.get("words") for i in lines)  # the job kept its word alternatives
    word, line_ins = max(((w, i) for i in lines for _, _, w in token_spans(i.text)), key=lambda p: len(p[0]))

    s = sessions()
    s.force_login(users["viewer"])
    page = s.page
    page.goto(f"/d/{document.pk}/")
    box = page.get_by_role("searchbox", name="Search the archive")
    box.fill(word)
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q="))
    hit = page.locator("li.hit[data-hit]", has=page.locator("mark")).filter(has_text=re.compile(word, re.I)).first
    expect(hit).to_be_visible()
    expect(hit.locator("mark").first).to_have_text(re.compile(f"^{re.escape(word)}$", re.I))
    scan = hit.locator("svg.hit-scan")
    expect(scan).to_be_visible()
    rect = scan.locator("rect.hit-box").first
    expect(rect).to_be_visible()
    # the box sits inside the line's polygon bounds on the page, and is narrower than the line (a word, not the line)
    x, y, w, h = line_ins.line.bbox()
    bx, bw = float(rect.get_attribute("x")), float(rect.get_attribute("width"))
    assert x <= bx and bx + bw <= x + w + 1 and 0 < bw < w
    s.shot("search-results")

    hit.get_by_role("link", name="Open in the workspace").click()
    page.wait_for_url(re.compile(rf"/p/{line_ins.page_id}/.*#line-{line_ins.line_id}$"))
    row = page.locator(f"#line-{line_ins.line_id}")
    expect(row).to_have_class(re.compile(r"\bfound\b"))
    expect(row).to_be_focused()
    expect(page.locator(f'polygon.line-poly.active[data-line="{line_ins.line_id}"]')).to_have_count(1)
