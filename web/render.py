"""Turning inscriptions into the HTML the workspace shows: per-character confidences and annotation marks.

Why server-side: the spans carry ``data-c`` (the machine's confidence) so the client
only toggles a class when the curator moves the threshold; the text itself and the
annotation highlights are escaped here once, in one place.
"""
from __future__ import annotations

import html
from collections.abc import Iterable

from django.utils.safestring import SafeString, mark_safe

DEFAULT_THRESHOLD = 0.8


def char_html(text: str, confidences: list | None, marks: Iterable[tuple[int, int, int]] = (), threshold: float = DEFAULT_THRESHOLD) -> SafeString:
    """HTML of a line's text: ``<span class="ch" data-c>`` per character when confidences exist,
    ``<mark data-ann>`` around annotated ranges (start, end exclusive, annotation id)."""
    chars = list(text)
    confs = confidences if isinstance(confidences, list) and len(confidences) == len(chars) else None
    marks = [(max(0, s), min(len(chars), e), a) for s, e, a in marks if e > s]
    owners: list[tuple[int, ...]] = [tuple(a for s, e, a in marks if s <= i < e) for i in range(len(chars))]
    out: list[str] = []
    current: tuple[int, ...] = ()
    for i, ch in enumerate(chars):
        if owners[i] != current:
            if current:
                out.append("</mark>")
            current = owners[i]
            if current:
                out.append(f'<mark class="ann" data-ann="{" ".join(str(int(a)) for a in current)}">')
        if confs is not None:
            try:
                c = float(confs[i])
            except (TypeError, ValueError):
                c = 1.0
            cls = "ch lowconf" if c < threshold else "ch"
            # html.escape, not format_html: this runs once per character of every line of a page, and
            # format_html's lazy-string machinery was a third of the workspace's time (bench/load.py).
            out.append(f'<span class="{cls}" data-c="{c:.3f}">{html.escape(ch)}</span>')
        else:
            out.append(html.escape(ch))
    if current:
        out.append("</mark>")
    return mark_safe("".join(out))  # noqa: S308 - the text is escaped by html.escape; ids are ints, c a float


def polygon_points(polygon: list) -> str:
    """SVG points attribute from [[x, y], ...]."""
    try:
        return " ".join(f"{float(x):.1f},{float(y):.1f}" for x, y in polygon)
    except (TypeError, ValueError):
        return ""
