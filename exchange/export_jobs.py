"""Starting an export job in one format, for a document or a whole collection (exchange.tasks.export_format)."""
from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser

from archive.models import Collection, Document, DocumentKind
from exchange.formats.exports import FORMATS, SCAN_ONLY
from exchange.tasks import EXPORT_FORMAT_TASK as TASK
from jobs.models import Job, JobKind
from jobs.services.jobs import create_job
from palimpsest.errors import InputError


def start_format_export(fmt: str, collection: Collection, *, user: AbstractBaseUser | None, base_url: str,
                        document: Document | None = None) -> Job:
    """Queue the export; a format the target cannot give (ALTO of a text document) is refused with nothing queued."""
    if fmt not in FORMATS:
        raise InputError(f"Unknown export format '{fmt}'; one of {', '.join(FORMATS)}.", code="bad_format",
                         detail={"formats": list(FORMATS)})
    if document is not None:
        if document.collection_id != collection.pk:
            raise InputError("The document does not belong to the collection.", code="bad_target")
        if fmt in SCAN_ONLY and (document.kind != DocumentKind.SCAN or not document.pages.exists()):
            raise InputError(f"{FORMATS[fmt][0]} needs scan pages; this document has none.", code="no_pages")
    return create_job(JobKind.EXPORT, collection, document=document, user=user,
                      params={"format": fmt, "base_url": base_url}, task_name=TASK)
