"""Plain text in reading order: one line per line, a blank line between pages."""
from __future__ import annotations

from collections.abc import Sequence

from archive.models import Document, Page
from exchange.formats import common
from inscription.models import Layer


def page_text(pages: Sequence[Page], layer: Layer | None = None) -> str:
    pages = list(pages)
    texts = common.current_line_inscriptions(pages, layer)
    blocks = []
    for page in pages:
        blocks.append("\n".join(texts[line.pk].text for line in common.ordered_lines(page) if line.pk in texts))
    return "\n\n".join(blocks) + ("\n" if blocks else "")


def document_text(document: Document, layer: Layer | None = None) -> str:
    """A born-digital document's own text, or its pages' transcriptions."""
    pages = list(document.pages.order_by("order", "id"))
    if not pages and hasattr(document, "text"):
        try:
            return document.text.content
        except Document.text.RelatedObjectDoesNotExist:
            return ""
    return page_text(pages, layer)
