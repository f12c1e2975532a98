"""Decide what a file is from its bytes, never from its name alone.

The name only matters for plain text (which has no magic number) and for a clearer error
when a file claims a type its content does not have (a ``.png`` that is really HTML).
"""
from __future__ import annotations

import io
from pathlib import PurePosixPath

from PIL import Image, UnidentifiedImageError

from archive.ingest.errors import IngestError
from archive.ingest.limits import max_image_pixels

IMAGE_FORMATS = ("PNG", "JPEG", "TIFF")  # a camera JPEG may still open as format "MPO"
IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".jpe", ".tif", ".tiff"}
PDF_EXTENSIONS = {".pdf"}
ZIP_EXTENSIONS = {".zip"}
TEXT_EXTENSIONS = {".txt", ".text"}

IMAGE, PDF, ZIP, TEXT = "image", "pdf", "zip", "text"
# Magic numbers: bytes that start this way claim to be an image, so failing to open is "corrupt", not "wrong type".
IMAGE_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")


def extension(name: str) -> str:
    return PurePosixPath(name.replace("\\", "/")).suffix.lower()


def sniff_image(data: bytes) -> str | None:
    """The Pillow format name when the bytes open as a PNG, JPEG or TIFF image, else None."""
    Image.MAX_IMAGE_PIXELS = max_image_pixels()
    try:
        with Image.open(io.BytesIO(data), formats=IMAGE_FORMATS) as image:
            return image.format
    except Image.DecompressionBombError as exc:
        raise IngestError("decompression_bomb", f"Image is too large to decode safely ({exc}).", 413) from exc
    except UnidentifiedImageError:
        if data.startswith(IMAGE_SIGNATURES):
            raise IngestError("corrupt_image", "The file starts like a PNG, JPEG or TIFF image but cannot be read.") from None
        return None
    except Exception:  # noqa: BLE001 - a header Pillow recognises but cannot parse is a corrupt image
        raise IngestError("corrupt_image", "The image header is damaged and cannot be read.") from None


def classify(data: bytes, name: str) -> str:
    """One of IMAGE, PDF, ZIP, TEXT, or IngestError when the content is empty or unsupported."""
    if not data:
        raise IngestError("empty_file", f"'{name}' is empty.")
    if b"%PDF-" in data[:1024]:
        return PDF
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):  # same as zips.ZIP_MAGIC
        return ZIP
    if sniff_image(data):
        return IMAGE
    ext = extension(name)
    if ext in TEXT_EXTENSIONS:
        return TEXT
    if ext in IMAGE_EXTENSIONS | PDF_EXTENSIONS | ZIP_EXTENSIONS:
        raise IngestError(
            "type_mismatch",
            f"'{name}' is named like a {ext[1:].upper()} file but its content is not one "
            "(accepted: PNG, JPEG, TIFF, PDF, ZIP by content; .txt for plain text).",
            status=415,
        )
    raise IngestError(
        "unsupported_type",
        f"'{name}' is not a supported file (accepted: PNG, JPEG, TIFF, PDF, ZIP by content; .txt for plain text).",
        status=415,
    )
