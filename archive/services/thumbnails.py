"""Page thumbnails, made on first request and cached on disk by sha256 and size."""
from __future__ import annotations

import io

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from archive.models import ImageBlob
from palimpsest.errors import InputError

SIZES = (64, 128, 256, 512, 1024)
DEFAULT_SIZE = 256


def parse_size(raw: str | None) -> int:
    """Only a few sizes are allowed so a client cannot fill the disk with one thumbnail per pixel."""
    if raw in (None, ""):
        return DEFAULT_SIZE
    try:
        size = int(raw)
    except ValueError:
        size = -1
    if size not in SIZES:
        raise InputError(f"size must be one of {', '.join(map(str, SIZES))}.", code="invalid_size", detail={"allowed": SIZES})
    return size


def thumbnail_name(sha256: str, size: int) -> str:
    return f"thumbs/{sha256[:2]}/{sha256[2:4]}/{sha256}-{size}.jpg"


def thumbnail(blob: ImageBlob, size: int) -> str:
    """Storage name of the JPEG thumbnail (longest side ``size``), created if missing."""
    name = thumbnail_name(blob.sha256, size)
    if default_storage.exists(name):
        return name
    with default_storage.open(blob.file.name, "rb") as handle, Image.open(handle) as image:
        image.draft("RGB", (size, size))  # JPEG: decode at reduced scale, much faster
        image.thumbnail((size, size), Image.Resampling.LANCZOS)
        if image.mode not in ("L", "RGB"):
            image = image.convert("RGB")
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=85, optimize=True)
    saved = default_storage.save(name, ContentFile(buffer.getvalue()))
    if saved != name:  # written concurrently by another request
        default_storage.delete(saved)
    return name
