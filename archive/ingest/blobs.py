"""Content-addressed image store: sha256 → MEDIA_ROOT/blobs/ab/cd/<sha256>.<ext>.

The same bytes are stored once and their ImageBlob row is reused by every page that shows
them. Files written during a failed ingest are removed again by :func:`discard_new_files`,
so a rejected upload leaves no orphan file behind.
"""
from __future__ import annotations

import hashlib

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from archive.ingest.plans import PageImage
from archive.models import ImageBlob


def blob_name(sha256: str, ext: str) -> str:
    return f"blobs/{sha256[:2]}/{sha256[2:4]}/{sha256}.{ext}"


def store_blob(page: PageImage, written: list[str]) -> ImageBlob:
    """The ImageBlob for these bytes, creating file and row if new. Appends new file names to ``written``."""
    sha256 = hashlib.sha256(page.data).hexdigest()
    name = blob_name(sha256, page.ext)
    existing = ImageBlob.objects.filter(pk=sha256).first()
    if existing is not None:
        if not default_storage.exists(existing.file.name):  # repair a lost file from the same bytes
            _write(existing.file.name, page.data, written)
        return existing
    if not default_storage.exists(name):
        _write(name, page.data, written)
    blob, _ = ImageBlob.objects.get_or_create(
        sha256=sha256,
        defaults={"file": name, "mime_type": page.mime_type, "size": len(page.data), "width": page.width, "height": page.height},
    )
    return blob


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
