"""Ingest: files in, documents out. One transaction per uploaded file.

A batch is *per file*: each file is all-or-nothing (a zip too: every document in it, or none),
and one bad file does not stop the others. A failed file leaves no rows and no blob files.
See docs/ingest.md for the result shape and the error codes.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from archive.ingest.blobs import StoredBlob, blob_row, discard_new_files, write_blob_file
from archive.ingest.decode import decode_file
from archive.ingest.errors import IngestError
from archive.ingest.limits import PixelBudget
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
    budget = PixelBudget()  # MAX_DECODED_PIXELS for the whole request, not per file: ten files may not decode ten times it
    return [ingest_upload(collection, upload, user=user, title=single_title, metadata=metadata, document=document,
                          budget=budget)
            for upload in uploads]


def ingest_upload(
    collection: Collection,
    upload: Upload,
    *,
    user: AbstractBaseUser | None,
    title: str | None = None,
    metadata: dict[str, Any] | None = None,
    document: Document | None = None,
    progress: Callable[[int], None] | None = None,
    within: Callable[[FileResult], None] | None = None,
    budget: PixelBudget | None = None,
) -> FileResult:
    """All documents from one file, or nothing (no rows, no new blob files).
    With ``document``: the file's scan pages go at the end of that document, or nothing does.

    ``progress(n)`` is called after each page is decoded and stored (a job reports it); ``within(result)``
    runs inside the write transaction, so a job can record "this file is done" atomically with its rows.
    ``budget`` is the request's pixel budget (MAX_DECODED_PIXELS), shared with its other files.
    """
    result = FileResult(file=upload.name)
    written: list[str] = []
    try:
        # Decode and store the files first, outside any transaction: a 1,000-page PDF takes a minute, and
        # holding the database's write lock that long made every other write fail ("database is locked").
        with upload.open() as handle:
            decoded = decode_file(upload.name, handle, upload.size, budget)
            if document is not None:
                _check_into(document, decoded.plans)
            prepared = [(plan, _store_files(plan, written, progress) if isinstance(plan, ScanPlan) else None)
                        for plan in decoded.plans]
        result.skipped = [{"member": s.member, "reason": s.reason} for s in decoded.skipped]
        use_title = title if title and len(prepared) == 1 else None
        with transaction.atomic():  # short: only the rows
            if document is not None:
                _into_document(document, prepared, result)
            else:
                for plan, files in prepared:
                    created = _create_document(collection, plan, user=user, title=use_title, metadata=metadata or {})
                    result.documents.append(created.pk)
                    if files is not None:
                        result.pages += _store_pages(created, files)
                    else:
                        _store_text(created, plan)
                        result.texts += 1
            if within is not None:
                within(result)
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


def _store_files(plan: ScanPlan, written: list[str], progress: Callable[[int], None] | None = None
                 ) -> list[tuple[StoredBlob, str]]:
    """Decode each page and write its blob file (no rows yet); (blob, original filename) per page."""
    files = []
    for page in plan.pages:
        files.append((write_blob_file(page, written), page.original_filename))
        if progress is not None:
            progress(1)
    if not files:
        raise IngestError("empty_file", f"'{plan.source_name}' holds no pages.")
    return files


def _check_into(document: Document, plans: list) -> None:
    if document.kind != DocumentKind.SCAN:
        raise IngestError("not_a_scan_document", f"“{document.title}” is a text document: pages cannot be added to it.")
    if any(not isinstance(plan, ScanPlan) for plan in plans):
        raise IngestError("not_a_scan", "Only images and PDFs can be added as pages of a document; this file holds text.")


def _into_document(document: Document, prepared: list, result: FileResult) -> None:
    """Add the stored pages at the end of ``document`` (locked, so two uploads never take the same place)."""
    from archive.services.pages import next_order

    Document.objects.select_for_update().get(pk=document.pk)
    for _plan, files in prepared:
        result.pages += _store_pages(document, files, start=next_order(document))
    result.documents.append(document.pk)


def _store_pages(document: Document, files: list[tuple[StoredBlob, str]], start: int = 0) -> int:
    for offset, (stored, original_filename) in enumerate(files):
        order = start + offset
        Page.objects.create(
            document=document,
            order=order,
            image=blob_row(stored),
            width=stored.width,
            height=stored.height,
            original_filename=original_filename[:500],
            label=str(order + 1),
        )
    return len(files)


def _store_text(document: Document, plan: TextPlan) -> None:
    Text.objects.create(
        document=document, content=plan.content, encoding=plan.encoding, original_filename=plan.source_name[:500], sha256=plan.sha256
    )
