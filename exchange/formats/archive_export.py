"""Export a whole collection as one zip: images, ALTO, PAGE, IIIF, W3C annotations, reflections, restore data.

``manifest.json`` lists every other file with its sha256 and size, and carries the full
restore data (see ``archive_data``). The zip is written to a file member by member, so
a large collection is never held in memory.
"""
from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.utils import timezone

from archive.models import Collection
from exchange.formats import archive_data, iiif_export, mets
from exchange.formats.alto import export_alto
from exchange.formats.images import read_blob
from exchange.formats.pagexml import export_page_xml
from exchange.formats.text import document_text

Progress = Callable[[int, int, str], None]


def _json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")


def _reflection_markdown(ref: dict[str, Any]) -> bytes:
    head = [
        "---",
        f"title: {json.dumps(ref['title'], ensure_ascii=False)}",
        f"author: {ref['created_by'] or 'unknown'}",
        f"version: {ref['version']}",
        f"created: {ref['created_at']}",
        f"modified: {ref['modified_at']}",
        f"withdrawn: {'true' if ref['withdrawn'] else 'false'}",
        "---",
        "",
    ]
    return ("\n".join(head) + (ref["body"] or "") + "\n").encode("utf-8")


def export_collection(collection: Collection, out_path: str | Path, base: str, progress: Progress | None = None,
                      check_cancel: Callable[[], None] | None = None) -> dict[str, Any]:
    """Write the archive of ``collection`` to ``out_path``; returns figures (files, bytes, sha256 of the zip)."""
    data, documents = archive_data.collect(collection, base)
    files: list[dict[str, Any]] = []
    total = len(documents) + 2
    report = progress or (lambda done, total, message: None)
    report(0, total, "collecting")
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out_path, "w", zipfile.ZIP_DEFLATED) as zf:

        def put(name: str, content: bytes, compress: bool = True) -> None:
            zf.writestr(name, content, compress_type=zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED)
            files.append({"path": name, "sha256": hashlib.sha256(content).hexdigest(), "size": len(content)})

        seen_images: set[str] = set()
        for n, (doc, doc_data) in enumerate(zip(documents, data["documents"], strict=True), 1):
            if check_cancel:
                check_cancel()
            folder = f"documents/{doc_data['key']}"
            pages = list(doc.pages.select_related("image", "document").order_by("order", "id"))
            for page, page_data in zip(pages, doc_data["pages"], strict=True):
                if page_data["image"] not in seen_images:
                    seen_images.add(page_data["image"])
                    put(page_data["image"], read_blob(page.image), compress=False)
            put(f"{folder}/iiif-manifest.json", _json(iiif_export.manifest(doc, base)))
            if pages:
                put(f"{folder}/alto.xml", export_alto(pages))
                for p, page in enumerate(pages, 1):
                    put(f"{folder}/page/{p:04d}.xml", export_page_xml(page, None, p))
                images = {page.pk: f"../../{page_data['image']}" for page, page_data in zip(pages, doc_data["pages"], strict=True)}
                put(f"{folder}/mets.xml", mets.export_mets(doc, mets.document_files(pages, images)))
            put(f"{folder}/text.txt", document_text(doc).encode("utf-8"))
            put(f"{folder}/annotations.jsonld", _json(_annotation_page(doc, base)))
            for name, content in _extra_files(doc, doc_data["key"]):
                put(f"{folder}/{name}", content)
            report(n, total, f"document {n} of {len(documents)}")
        put("collection.iiif.json", _json(iiif_export.collection(collection, base, documents)))
        for ref in data["reflections"]:
            put(f"reflections/{ref['key']}.md", _reflection_markdown(ref))
        manifest = {"format": archive_data.FORMAT, "version": archive_data.VERSION, "exported_at": timezone.now().isoformat(),
                    "base_url": base, "files": sorted(files, key=lambda f: f["path"]), "archive": data}
        zf.writestr("manifest.json", _json(manifest))
    report(total, total, "written")
    digest = hashlib.sha256(out_path.read_bytes()).hexdigest()
    return {"files": len(files) + 1, "bytes": out_path.stat().st_size, "sha256": digest,
            "documents": len(documents), "reflections": len(data["reflections"])}


def _extra_files(doc, key: str) -> list[tuple[str, bytes]]:
    """Derived files other apps add per document, placed under the document's folder.

    The memory lens (docs/memory-lens.md) adds its stored reading traces and the drift
    timeline. They are derived records, not restore data: a restore recomputes drift and
    does not bring back traces. Absent in an install without the lens.
    """
    try:
        from inscription.services.drift import export_drift
        from inscription.services.traces import export_traces
    except ImportError:
        return []
    try:
        drift = export_drift(doc, key=key)
    except TypeError:  # an older lens without archive keys
        drift = export_drift(doc)
    return export_traces(doc) + drift


def _annotation_page(doc, base: str) -> dict[str, Any]:
    """The document's current (not withdrawn) annotations as one W3C AnnotationPage; full history is in manifest.json."""
    from inscription.annotations.jsonld import annotation_to_jsonld, page_to_jsonld
    from inscription.models import Annotation

    items = [annotation_to_jsonld(a, base, with_context=False)
             for a in Annotation.objects.filter(document=doc, withdrawn=False).select_related("created_by").order_by("id")]
    iri = f"{base}/api/v1/documents/{doc.pk}/annotations/"
    return page_to_jsonld(iri, f"Annotations on {doc.title}", len(items), 1, max(1, len(items)), items)
