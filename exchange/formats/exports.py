"""Exports a curator starts from the interface: one format, for one document or a whole collection.

Each returns (file name, bytes, media type). A collection export in one format is a zip
with one file (or folder) per document, named after the document's title, so the curator
gets what the document pages give, for every document at once.
"""
from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable

from archive.models import Collection, Document, DocumentKind
from exchange.formats import iiif_export
from exchange.formats.alto import export_alto
from exchange.formats.pagexml import export_page_xml
from exchange.formats.tei import MEDIA_TYPE as TEI_TYPE
from exchange.formats.tei import export_tei
from exchange.formats.text import document_text

FORMATS = {
    "tei": ("TEI P5", "xml", TEI_TYPE),
    "alto": ("ALTO 4", "xml", "application/xml; charset=utf-8"),
    "page": ("PAGE XML", "zip", "application/zip"),
    "text": ("Plain text", "txt", "text/plain; charset=utf-8"),
    "iiif": ("IIIF manifest", "json", iiif_export.MEDIA_TYPE),
    "w3c": ("W3C annotations", "jsonld", "application/ld+json"),
}
SCAN_ONLY = ("alto", "page", "tei")


def safe_name(title: str, fallback: str) -> str:
    name = re.sub(r"[^\w.-]+", "-", title, flags=re.UNICODE).strip("-.")[:80]
    return name or fallback


def _page_zip(document: Document) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, page in enumerate(document.pages.select_related("image", "document").order_by("order", "id"), 1):
            zf.writestr(f"page/{n:04d}.xml", export_page_xml(page, None, n))
    return buffer.getvalue()


def document_export(fmt: str, document: Document, base: str) -> tuple[str, bytes, str]:
    """One document in one format."""
    _label, ext, media = FORMATS[fmt]
    stem = safe_name(document.title, f"document-{document.pk}")
    if fmt == "tei":
        data = export_tei(document, image_url=lambda page: f"{base}/api/v1/pages/{page.pk}/image/")
    elif fmt == "alto":
        data = export_alto(list(document.pages.select_related("image", "document").order_by("order", "id")))
    elif fmt == "page":
        data = _page_zip(document)
    elif fmt == "text":
        data = document_text(document).encode("utf-8")
    elif fmt == "iiif":
        data = json.dumps(iiif_export.manifest(document, base), ensure_ascii=False, indent=1).encode("utf-8")
    else:
        from exchange.formats.archive_export import _annotation_page

        data = json.dumps(_annotation_page(document, base), ensure_ascii=False, indent=1).encode("utf-8")
    return f"{stem}.{fmt}.{ext}", data, media


def collection_export(fmt: str, collection: Collection, base: str,
                      progress: Callable[[int, int], None] | None = None,
                      check_cancel: Callable[[], None] | None = None) -> tuple[str, bytes, str, dict]:
    """Every document of the collection in one format, zipped; figures say what was left out and why."""
    docs = list(Document.objects.filter(collection=collection).select_related("collection").order_by("title", "id"))
    buffer = io.BytesIO()
    skipped: list[dict] = []
    used: set[str] = set()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, doc in enumerate(docs, 1):
            if check_cancel:
                check_cancel()
            if fmt in SCAN_ONLY and (doc.kind != DocumentKind.SCAN or not doc.pages.exists()):
                skipped.append({"document": doc.pk, "title": doc.title, "reason": "no scan pages"})
            else:
                name, data, _ = document_export(fmt, doc, base)
                while name in used:
                    name = f"{doc.pk}-{name}"
                used.add(name)
                zf.writestr(name, data)
            if progress:
                progress(n, len(docs))
    stem = safe_name(collection.title, collection.slug)
    return f"{stem}.{fmt}.zip", buffer.getvalue(), "application/zip", {"documents": len(docs) - len(skipped),
                                                                        "skipped": skipped}
