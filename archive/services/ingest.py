"""Ingest: files in, documents out. One transaction per uploaded file.

A batch is *per file*: each file is all-or-nothing (a zip too: every document in it, or none),
and one bad file does not stop the others. A failed file leaves no rows and no blob files.
See docs/ingest.md for the result shape and the error codes.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from archive.ingest.blobs import discard_new_files, store_blob
from archive.ingest.decode import decode_file
from archive.ingest.errors import IngestError
from archive.ingest.plans import ScanPlan, TextPlan
from archive.ingest.sources import Upload
from archive.models import Collection, Document, DocumentKind, Page, Tag, Text

log = logging.getLogger(__name__)

# Dublin Core fields an ingest may set on every document it creates.
METADATA_FIELDS = ("creator", "date", "year_from", "year_to", "place", "language", "rights", "source", "description")


@dataclass
class FileResult:
    """What happened to one uploaded file; ``as_dict()`` is the API/CLI result shape."""

    file: str
    status: str = "ok"
    documents: list[int] = field(default_factory=list)
    pages: int = 0
    texts: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)
    error: dict[str, str] | None = None
    http_status: int = 201

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "status": self.status,
            "document": self.documents[0] if self.documents else None,
            "documents": self.documents,
            "pages": self.pages,
            "texts": self.texts,
            "skipped": self.skipped,
            "error": self.error,
        }


def ingest_uploads(
    collection: Collection,
    uploads: Iterable[Upload],
    *,
    user: AbstractBaseUser | None,
    title: str | None = None,
    metadata: dict[str, Any] | None = None,
    document: Document | None = None,
) -> list[FileResult]:
    """Ingest each upload on its own. ``title`` applies only when a single file yields a single document.
    With ``document``, every scan page is added at the end of that existing document instead.

    The caller has checked that ``user`` may write to ``collection`` (archive.permissions.require).
    """
    uploads = list(uploads)
    single_title = title if len(uploads) == 1 else None
    return [ingest_upload(collection, upload, user=user, title=single_title, metadata=metadata, document=document)
            for upload in uploads]


def ingest_upload(
    collection: Collection,
    upload: Upload,
    *,
    user: AbstractBaseUser | None,
    title: str | None = None,
    metadata: dict[str, Any] | None = None,
    document: Document | None = None,
) -> FileResult:
    """All documents from one file, or nothing (no rows, no new blob files).
    With ``document``: the file's scan pages go at the end of that document, or nothing does."""
    result = FileResult(file=upload.name)
    written: list[str] = []
    try:
        with upload.open() as handle, transaction.atomic():
            decoded = decode_file(upload.name, handle, upload.size)
            result.skipped = [{"member": s.member, "reason": s.reason} for s in decoded.skipped]
            if document is not None:
                _into_document(document, decoded.plans, written, result)
                log.info("ingested %s into document %s: pages=%s", upload.name, document.pk, result.pages)
                return result
            use_title = title if title and len(decoded.plans) == 1 else None
            for plan in decoded.plans:
                document = _create_document(collection, plan, user=user, title=use_title, metadata=metadata or {})
                result.documents.append(document.pk)
                if isinstance(plan, ScanPlan):
                    result.pages += _store_pages(document, plan, written)
                else:
                    _store_text(document, plan)
                    result.texts += 1
    except IngestError as exc:
        discard_new_files(written)
        return FileResult(file=upload.name, status="error", error=exc.as_dict(), http_status=exc.status)
    except BaseException:
        discard_new_files(written)
        raise
    log.info("ingested %s into %s: documents=%s pages=%s", upload.name, collection.slug, result.documents, result.pages)
    return result


def _create_document(
    collection: Collection, plan: ScanPlan | TextPlan, *, user, title: str | None, metadata: dict[str, Any]
) -> Document:
    fields = {key: metadata[key] for key in METADATA_FIELDS if metadata.get(key) not in (None, "")}
    document = Document.objects.create(
        collection=collection,
        kind=DocumentKind.SCAN if isinstance(plan, ScanPlan) else DocumentKind.TEXT,
        title=(title or plan.title)[:500],
        created_by=user if user is not None and user.is_authenticated else None,
        **fields,
    )
    tag_names = [t.strip() for t in metadata.get("tags") or [] if t and t.strip()]
    if tag_names:
        document.tags.set([Tag.objects.get_or_create(name=name)[0] for name in tag_names])
    return document


def _into_document(document: Document, plans: list, written: list[str], result: FileResult) -> None:
    """Add the scan pages of every plan to ``document`` (locked, so two uploads never take the same place)."""
    if document.kind != DocumentKind.SCAN:
        raise IngestError("not_a_scan_document", f"“{document.title}” is a text document: pages cannot be added to it.")
    if any(not isinstance(plan, ScanPlan) for plan in plans):
        raise IngestError("not_a_scan", "Only images and PDFs can be added as pages of a document; this file holds text.")
    Document.objects.select_for_update().get(pk=document.pk)
    from archive.services.pages import next_order

    for plan in plans:
        result.pages += _store_pages(document, plan, written, start=next_order(document))
    result.documents.append(document.pk)


def _store_pages(document: Document, plan: ScanPlan, written: list[str], start: int = 0) -> int:
    count = 0
    for offset, page in enumerate(plan.pages):
        order = start + offset
        blob = store_blob(page, written)
        Page.objects.create(
            document=document,
            order=order,
            image=blob,
            width=page.width,
            height=page.height,
            original_filename=page.original_filename[:500],
            label=str(order + 1),
        )
        count += 1
    if count == 0:
        raise IngestError("empty_file", f"'{plan.source_name}' holds no pages.")
    return count


def _store_text(document: Document, plan: TextPlan) -> None:
    Text.objects.create(
        document=document, content=plan.content, encoding=plan.encoding, original_filename=plan.source_name[:500], sha256=plan.sha256
    )
