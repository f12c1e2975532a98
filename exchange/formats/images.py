"""Images that arrive with an import, checked and stored by the archive's own ingest code.

Why a thin wrapper: imports must decode every image *before* any row is written (nothing
half-imported) and delete the blob files they wrote if the transaction rolls back (no
orphan files). The checks (full decode, pixel limit, decompression bombs, TIFF → PNG) and
the content-addressed store are ``archive.ingest``'s; this adapts their errors to the
API's ``InputError`` and keeps the list of files written.
"""
from __future__ import annotations

from archive.ingest.blobs import discard_new_files, store_blob
from archive.ingest.errors import IngestError
from archive.ingest.images import decode_image
from archive.ingest.plans import PageImage
from archive.models import ImageBlob
from palimpsest.errors import InputError


class CheckedImage(PageImage):
    """A decoded, checked page image (the first frame of a multi-page TIFF)."""

    @property
    def sha256(self) -> str:
        import hashlib

        return hashlib.sha256(self.data).hexdigest()


def check_image(data: bytes, name: str = "the image") -> CheckedImage:
    """Decode fully and check; InputError (with the ingest error code) for junk, damage or bombs."""
    try:
        first = next(iter(decode_image(name, data)), None)
    except IngestError as exc:
        raise InputError(exc.message, code=exc.code, status_code=exc.status) from exc
    if first is None:
        raise InputError(f"{name} holds no image.", code="corrupt_image")
    return CheckedImage(first.data, first.ext, first.mime_type, first.width, first.height, first.original_filename)


class StoredFiles:
    """Blob files written during one import; ``discard()`` removes them when the import fails."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    def blob(self, image: CheckedImage) -> ImageBlob:
        return store_blob(image, self.paths)

    def discard(self) -> None:
        discard_new_files(self.paths)


def read_blob(blob: ImageBlob) -> bytes:
    from django.core.files.storage import default_storage

    with default_storage.open(blob.file.name, "rb") as fh:
        return fh.read()
