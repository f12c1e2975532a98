"""The memory view in a real headless Chromium: open it from the workspace, hover, see the alternatives, annotate a span."""
from __future__ import annotations

import re

import playwright  # noqa: F401 - a pinned dependency: missing, these tests fail instead of skipping
import pytest
from playwright.sync_api import expect  # noqa: E402

pytestmark = [pytest.mark.ui, pytest.mark.django_db(transaction=True)]


def _shown_candidates(trace: dict, frame: int) -> list[str]:
    """What the view must list at ``frame``: the candidates of the nearest frame with alternatives."""
    alt = min(trace["alternatives"], key=lambda a: (abs(a["frame"] - frame), a["frame"]))
    out = []
    for c in alt["candidates"]:
        label = "(nothing — CTC blank)" if c["char"] == "" else "(space)" if c["char"] == " " else f"“{c['char']}”"
        out.append(f"{label} {c['p'] * 100:.1f}%")
    return out


def test_memory_view_hover_shows_alternatives_and_a_drag_annotates(transactional_db, sessions, read_page, users):
    from inscription.models import Annotation
    from inscription.services.traces import get_or_compute_trace, trace_json

    document, page, lines, layer, inscriptions = read_page
    ins = inscriptions[0]
    s = sessions()
    s.force_login(users["curator"])
    p = s.page
    p.goto(f"/p/{page.pk}/?layer={layer.pk}")
    expect(p.locator(".lens-annotate")).to_have_count(0)
    p.locator(f"#line-{lines[0].pk} .memory-link").click()
    p.wait_for_url(re.compile(rf"/i/{ins.pk}/memory/$"))
    expect(p.locator(".lens-figure")).to_be_visible()
    expect(p.locator(".lens-status")).to_contain_text("frames")
    expect(p.locator(".lens-annotate")).to_be_hidden()  # until a span is dragged

    trace = trace_json(get_or_compute_trace(ins))  # computed by the page's request, read back here
    assert trace["alternatives"], "the reading had no uncertain frame to show"
    heat = p.locator('canvas[data-signal="forget"]')
    box = heat.bounding_box()
    p.mouse.move(box["x"] + box["width"] * 0.4, box["y"] + box["height"] / 2)
    expect(p.locator(".lens-alternatives li.lens-alt").first).to_be_visible()
    frame = int(re.match(r"(\d+) of", p.locator(".lens-frame").inner_text()).group(1))
    assert 0 <= frame < trace["frames"]
    shown = [t.strip() for t in p.locator(".lens-alternatives li.lens-alt").all_inner_texts()]
    assert shown == _shown_candidates(trace, frame)

    # Another layer/direction changes the signals shown at the same point, not the alternatives.
    p.locator("#lens-layer").select_option(index=0)
    expect(p.locator(".lens-values")).to_contain_text("forget")

    # Drag across the heatmap: a frame-range annotation on the inscription.
    p.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + 5)
    p.mouse.down()
    p.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + 5, steps=5)
    p.mouse.up()
    form = p.locator(".lens-annotate")
    expect(form).to_be_visible()
    expect(p.locator(".lens-range")).to_contain_text("Annotate frames")
    form.get_by_label("Comment").fill("Here the machine lets go of the first word.")
    form.get_by_role("button", name="Save annotation").click()
    expect(p.locator(".lens-annotation")).to_contain_text("lets go of the first word")
    expect(form).to_be_hidden()
    ann = Annotation.objects.get(inscriptions=ins)
    selector = ann.target[0]["selector"][0]
    a, b = (int(v) for v in re.fullmatch(r"frames=(\d+),(\d+)", selector["value"]).groups())
    assert selector["type"] == "FragmentSelector" and 0 <= a < b <= trace["frames"]
    p.mouse.move(box["x"] + box["width"] * 0.4, box["y"] + box["height"] / 2)
    p.locator("#memory-lens").scroll_into_view_if_needed()
    p.evaluate("window.scrollTo(0, document.getElementById('memory-lens').offsetTop - 10)")
    s.shot("memory-lens")
