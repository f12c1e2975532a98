"""Which uploads are too heavy for the web request, and the staging area that hands them to a job.

Why: a 1,000-page PDF, a TIFF of 2,000 frames or a zip of thousands of scans takes minutes to
decode, which held a web thread (and, before the short write transaction, SQLite's write lock)
that long. Such a file is stored as it came (``staging/<random>/<name>``) and an io-queue job
of kind ``ingest`` decodes it with progress (``archive.tasks.ingest_files``).

The measure is cheap and covers the whole request: the bytes, the page count a PDF declares, the
frames of a TIFF, the members of a zip, and an estimate of the pixels to decode. A file whose
headers already break a limit (or that cannot be measured) is left to the synchronous path, which
answers with the decoder's clear 4xx error at once.
"""
from __future__ import annotations

import io
import re
import uuid
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import default_storage

from archive.ingest.limits import max_upload_bytes
from archive.ingest.sources import Upload

STAGING = "staging"
STAGED_NAME = re.compile(r"^staging/[0-9a-f]{32}/[^/]{1,200}$")


def sync_max_pages() -> int:
    return int(getattr(settings, "INGEST_SYNC_MAX_PAGES", 20))


def sync_max_bytes() -> int:
    return int(getattr(settings, "INGEST_SYNC_MAX_BYTES", 25 * 1024 * 1024))


def sync_max_pixels() -> int:
    return int(getattr(settings, "INGEST_SYNC_MAX_PIXELS", 250_000_000))


@dataclass(frozen=True)
class Weight:
    """What an upload will cost to decode, as far as its headers tell. ``refused``: the headers already break a
    limit (a zip bomb's directory, more pages than MAX_PAGES_PER_FILE), so the request answers that error at once."""

    pages: int
    pixels: int
    size: int
    refused: bool = False


def is_heavy(weights: list[Weight]) -> bool:
    """One request's uploads together: over INGEST_SYNC_MAX_PAGES pages/frames/members, ..._PIXELS or ..._BYTES."""
    counted = [w for w in weights if not w.refused]
    return (sum(w.pages for w in counted) > sync_max_pages() or sum(w.pixels for w in counted) > sync_max_pixels()
            or sum(w.size for w in counted) > sync_max_bytes())


def weigh(upload: Upload) -> Weight:
    """Pages (PDF pages, TIFF frames, zip members), pixels and bytes an upload will decode (pages 1 when unknown)."""
    with upload.open() as handle:
        head = handle.read(8)
        handle.seek(0)
        try:
            if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
                return _weigh_zip(upload, handle)
            data = handle.read(max_upload_bytes() + 1)
        except Exception:  # noqa: BLE001 - unreadable here: the decoder gives the clear error
            return Weight(1, 0, upload.size, refused=True)
    if len(data) > max_upload_bytes():
        return Weight(1, 0, upload.size, refused=True)
    if b"%PDF-" in data[:1024]:
        return _weigh_pdf(data, upload.size)
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return _weigh_tiff(data, upload.size)
    return Weight(1, 0, upload.size)


def _weigh_zip(upload: Upload, handle) -> Weight:
    from archive.ingest import zips
    from archive.ingest.errors import IngestError

    try:
        archive, members, _system = zips.open_zip(upload.name, handle)  # the bomb and path checks of the directory
    except IngestError:
        return Weight(1, 0, upload.size, refused=True)
    archive.close()
    # A member's pixels are unknown before decoding; its unpacked size stands in for the work.
    return Weight(len(members), 0, sum(m.info.file_size for m in members))


def _weigh_pdf(data: bytes, size: int) -> Weight:
    import pypdfium2

    from archive.ingest.limits import max_pages_per_file, pdf_render_dpi

    try:
        document = pypdfium2.PdfDocument(data)
    except Exception:  # noqa: BLE001 - pdfium raises PdfiumError and friends
        return Weight(1, 0, size, refused=True)
    try:
        pages = len(document)
        if not pages or pages > max_pages_per_file():
            return Weight(1, 0, size, refused=True)
        width, height = document.get_page_size(0)
    except Exception:  # noqa: BLE001
        return Weight(1, 0, size, refused=True)
    finally:
        document.close()
    scale = pdf_render_dpi() / 72.0
    return Weight(pages, int(width * scale) * int(height * scale) * pages, size)


def _weigh_tiff(data: bytes, size: int) -> Weight:
    from PIL import Image

    from archive.ingest.limits import max_pages_per_file

    try:
        with Image.open(io.BytesIO(data)) as image:
            frames = getattr(image, "n_frames", 1)
            width, height = image.size
    except Exception:  # noqa: BLE001 - a broken TIFF gets its clear error from the decoder
        return Weight(1, 0, size, refused=True)
    if frames > max_pages_per_file():
        return Weight(1, 0, size, refused=True)
    return Weight(frames, width * height * frames, size)


def stage(upload: Upload) -> str:
    """Store the upload as it came, under an unguessable folder; returns its storage name."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", PurePosixPath(upload.name.replace("\\", "/")).name)[-200:].lstrip(".") or "upload"
    name = f"{STAGING}/{uuid.uuid4().hex}/{safe}"
    with upload.open() as handle:
        return default_storage.save(name, File(handle, name=safe))


def staged_upload(name: str, display_name: str) -> Upload:
    """An ``Upload`` reading a staged file (the worker's side)."""
    return Upload(name=display_name, size=default_storage.size(name), open=lambda: default_storage.open(name, "rb"))


def is_staged_name(name: object) -> bool:
    return isinstance(name, str) and bool(STAGED_NAME.match(name))


def discard(names: list[str]) -> None:
    """Delete staged files, and their folder on a filesystem store (other stores have no folders)."""
    import os

    for name in names:
        if not is_staged_name(name):
            continue
        if default_storage.exists(name):
            default_storage.delete(name)
        try:
            os.rmdir(os.path.dirname(default_storage.path(name)))
        except (NotImplementedError, OSError):  # not a filesystem store, or the folder is not empty
            pass
