"""Help pages served by the site itself: the project's own docs rendered from Markdown.

Why here: the interface's help used to point at a repository path (``docs/memory-lens.md``)
that a curator's browser cannot open. Only the pages named below are served.
"""
from __future__ import annotations

from pathlib import Path

import markdown
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe

from inscription.annotations.rendering import sanitise

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = {"memory-lens": ("The memory lens", "memory-lens.md"), "formats": ("Formats", "formats.md")}


def help_page(request: HttpRequest, name: str) -> HttpResponse:
    if name not in PAGES:
        raise Http404("No such help page.")
    title, filename = PAGES[name]
    source = (DOCS / filename).read_text(encoding="utf-8")
    body = sanitise(markdown.markdown(source, extensions=["extra", "sane_lists", "toc"], output_format="html"))
    return render(request, "web/help.html", {"title": title, "body": mark_safe(body),  # noqa: S308 - sanitised above
                                             "breadcrumbs": [("Help", None), (title, None)]})
