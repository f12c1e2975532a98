"""Content-addressed image store: sha256 → MEDIA_ROOT/blobs/ab/cd/<sha256>.<ext>.

The same bytes are stored once and their ImageBlob row is reused by every page that shows
them. Files written during a failed ingest are removed again by :func:`discard_new_files`,
so a rejected upload leaves no orphan file behind.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from archive.ingest.plans import PageImage
from archive.models import ImageBlob


def blob_name(sha256: str, ext: str) -> str:
    return f"blobs/{sha256[:2]}/{sha256[2:4]}/{sha256}.{ext}"


@dataclass(frozen=True)
class StoredBlob:
    """A blob file written (or found) in the store, not yet linked to a row: what the short write transaction needs."""

    sha256: str
    name: str
    mime_type: str
    size: int
    width: int
    height: int


def write_blob_file(page: PageImage, written: list[str]) -> StoredBlob:
    """Store the bytes under their content address (no database write). New file names go to ``written``.

    Why apart from the row: decoding and writing files is the slow part of an ingest; done before
    the transaction, the database write lock is held only for the few INSERTs.
    """
    sha256 = hashlib.sha256(page.data).hexdigest()
    name = blob_name(sha256, page.ext)
    existing = ImageBlob.objects.filter(pk=sha256).values_list("file", flat=True).first()
    if existing is not None:
        name = existing
    if not default_storage.exists(name):  # new, or a lost file repaired from the same bytes
        _write(name, page.data, written)
    return StoredBlob(sha256, name, page.mime_type, len(page.data), page.width, page.height)


def blob_row(stored: StoredBlob) -> ImageBlob:
    """The ImageBlob row of a stored file, created if new (inside the caller's transaction)."""
    blob, _ = ImageBlob.objects.get_or_create(
        sha256=stored.sha256,
        defaults={"file": stored.name, "mime_type": stored.mime_type, "size": stored.size, "width": stored.width,
                  "height": stored.height},
    )
    return blob


def store_blob(page: PageImage, written: list[str]) -> ImageBlob:
    """The ImageBlob for these bytes, creating file and row if new. Appends new file names to ``written``."""
    return blob_row(write_blob_file(page, written))


def _write(name: str, data: bytes, written: list[str]) -> None:
    saved = default_storage.save(name, ContentFile(data))
    written.append(saved)
    if saved != name:  # a concurrent writer got there first: keep theirs, drop our copy
        default_storage.delete(saved)
        written.remove(saved)


def discard_new_files(written: list[str]) -> None:
    """After a rollback: delete files this attempt wrote unless a committed row now points at them."""
    for name in written:
        if not ImageBlob.objects.filter(file=name).exists():
            default_storage.delete(name)
    written.clear()
