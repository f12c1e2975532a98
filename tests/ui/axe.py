"""Accessibility and layout checks run inside the browser tests.

axe-core is vendored under tests/ui/vendor/axe-core (from npm, MPL-2.0, never served to users)
and injected into the page under test; the tests fail on serious or critical violations and on
any sideways scroll of the page.
"""
from __future__ import annotations

from pathlib import Path

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def axe_violations(page, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict]:
    """Run axe-core on the page; violations of the given impacts as {id, impact, help, nodes: [html...]}."""
    if not page.evaluate("() => !!window.axe"):
        # An init script (CDP), not a <script> tag: the site's CSP forbids inline scripts, rightly.
        ensure_axe(page.context)
        page.reload()
        page.wait_for_load_state("load")
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ["violations"]});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                      nodes: v.nodes.slice(0, 5).map(n => n.html.slice(0, 200))}));
    }""")
    return [v for v in result if v["impact"] in impacts]


def ensure_axe(context) -> None:  # noqa: ANN001
    """Make every page of the browser context load axe-core before its own scripts (once per context)."""
    if not getattr(context, "_palimpsest_axe", False):
        context.add_init_script(path=str(AXE))
        context._palimpsest_axe = True


def sideways_overflow(page) -> int:
    """How many CSS pixels the page is wider than the window (0 when it never scrolls sideways)."""
    return page.evaluate("() => Math.max(0, document.documentElement.scrollWidth - document.documentElement.clientWidth)")


def wide_elements(page) -> list[str]:
    """The elements that stick out past the right edge (to say why a page overflows)."""
    return page.evaluate("""() => { const w = document.documentElement.clientWidth; const out = [];
        for (const el of document.querySelectorAll('body *')) { const r = el.getBoundingClientRect();
          if (r.right > w + 1 && r.width > 0) out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.type ? '[' + el.type + ']' : '') +
            (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : '') + ' ' + Math.round(r.right)); }
        return out.slice(0, 15); }""")


def check_page(page, url: str, sizes=(DESKTOP, PHONE)) -> list[str]:
    """Open ``url`` at each size; problems in words (empty when the page passes)."""
    problems = []
    ensure_axe(page.context)
    for size in sizes:
        page.set_viewport_size(size)
        page.goto(url)
        page.wait_for_load_state("load")
        over = sideways_overflow(page)
        if over:
            problems.append(f"{url} at {size['width']} px scrolls sideways by {over} px: {wide_elements(page)}")
        for v in axe_violations(page):
            problems.append(f"{url} at {size['width']} px: {v['impact']} {v['id']} ({v['help']}): {v['nodes']}")
    page.set_viewport_size(DESKTOP)
    return problems
