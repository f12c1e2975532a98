"""Reflection Markdown → safe HTML, with citations by stable reference (pure: no database).

``[@annotation:12]`` (also comparison, inscription, document, model) becomes a numbered
link ``[1]`` to the cited item, and a reference list is appended. Rendering is
Markdown (the ``markdown`` library) then nh3 with an allowlist: raw HTML in the source is
sanitised away, ``on*`` attributes and ``javascript:`` URLs never survive. The HTML is
rendered on every read and never stored.
"""
from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass

import markdown
import nh3

CITATION = re.compile(r"\[@(annotation|comparison|inscription|document|model):(\d+)\]")
CITABLE_KINDS = ("annotation", "comparison", "inscription", "document", "model")
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "div", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
    "li", "ol", "p", "pre", "section", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "class"},
    "abbr": {"title"},
    "li": {"id"},
    "ol": {"class"},
    "section": {"class"},
    "sup": {"class"},
    "td": {"align"},
    "th": {"align"},
}
URL_SCHEMES = {"http", "https", "mailto"}


@dataclass(frozen=True)
class Cited:
    ref: str
    kind: str
    pk: int
    number: int


def find_citations(source: str) -> list[Cited]:
    """Distinct citations in order of first appearance, numbered from 1."""
    seen: dict[str, Cited] = {}
    for match in CITATION.finditer(source or ""):
        ref = f"{match.group(1)}:{int(match.group(2))}"
        if ref not in seen:
            seen[ref] = Cited(ref, match.group(1), int(match.group(2)), len(seen) + 1)
    return list(seen.values())


def sanitise(raw_html: str) -> str:
    """nh3 with the allowlist above: unknown tags and attributes go, URLs keep only http(s)/mailto."""
    return nh3.clean(raw_html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
                     link_rel="noopener noreferrer nofollow")


def render(source: str, link_for: Callable[[Cited], str | None], label_for: Callable[[Cited], str] | None = None) -> str:
    """Markdown with citations → sanitised HTML. ``link_for`` returns the URL of a cited item, or None when unresolved."""
    cited = {c.ref: c for c in find_citations(source)}

    def replace(match: re.Match) -> str:
        c = cited[f"{match.group(1)}:{int(match.group(2))}"]
        url = link_for(c)
        if url is None:
            return f'<sup class="citation unresolved">[{c.number}?]</sup>'
        return f'<sup class="citation"><a class="citation" href="{html.escape(url)}" title="{c.ref}">[{c.number}]</a></sup>'

    text = CITATION.sub(replace, source or "")
    body = markdown.markdown(text, extensions=["extra", "sane_lists"], output_format="html")
    if cited:
        items = []
        for c in cited.values():
            url = link_for(c)
            label = html.escape(label_for(c) if label_for else f"{c.kind} {c.pk}")
            inner = f'<a class="reference" href="{html.escape(url)}">{label}</a>' if url else f"{label} (not available)"
            items.append(f'<li id="ref-{c.number}">{inner}</li>')
        body += f'<section class="references"><h2>References</h2><ol class="references">{"".join(items)}</ol></section>'
    return sanitise(body)
