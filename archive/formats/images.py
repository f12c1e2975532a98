"""Images that arrive with an import: checked with Pillow, stored once by content address.

Why here and not only in ingest: imports must validate every image *before* any row is
written (nothing half-imported), and delete the files they stored if the transaction
rolls back (no orphan files). ``StoredFiles`` tracks exactly that.
"""
from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, UnidentifiedImageError

from archive.models import ImageBlob
from palimpsest.errors import InputError

FORMATS = {"PNG": ("image/png", "png"), "JPEG": ("image/jpeg", "jpg"), "TIFF": ("image/tiff", "tif"), "WEBP": ("image/webp", "webp")}


@dataclass
class CheckedImage:
    data: bytes
    sha256: str
    width: int
    height: int
    mime_type: str
    extension: str


def check_image(data: bytes, name: str = "the image") -> CheckedImage:
    """Decode the header and verify the file; refuse decompression bombs, unknown formats and junk."""
    limit = int(getattr(settings, "MAX_IMAGE_PIXELS", 100_000_000))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                width, height, fmt = img.size[0], img.size[1], img.format
                if width * height > limit:
                    raise InputError(
                        f"{name} is {width}×{height} pixels, more than the limit of {limit} pixels.", code="image_too_large"
                    )
                img.verify()
    except InputError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise InputError(f"{name} is too large to decode safely: {exc}", code="image_too_large") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InputError(f"{name} is not a readable image ({exc}).", code="bad_image") from exc
    if fmt not in FORMATS:
        raise InputError(f"{name} is a {fmt} image; PNG, JPEG, TIFF or WebP are accepted.", code="bad_image")
    mime, ext = FORMATS[fmt]
    return CheckedImage(data, hashlib.sha256(data).hexdigest(), width, height, mime, ext)


class StoredFiles:
    """Files written during one import; ``discard()`` removes them when the import fails."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    def blob(self, image: CheckedImage) -> ImageBlob:
        existing = ImageBlob.objects.filter(sha256=image.sha256).first()
        if existing is not None and default_storage.exists(existing.file.name):
            return existing
        path = default_storage.save(f"blobs/{image.sha256[:2]}/{image.sha256}.{image.extension}", ContentFile(image.data))
        self.paths.append(path)
        blob, _ = ImageBlob.objects.update_or_create(
            sha256=image.sha256,
            defaults={"file": path, "mime_type": image.mime_type, "size": len(image.data), "width": image.width, "height": image.height},
        )
        return blob

    def discard(self) -> None:
        for path in self.paths:
            try:
                default_storage.delete(path)
            except OSError:
                pass
        self.paths.clear()


def read_blob(blob: ImageBlob) -> bytes:
    with default_storage.open(blob.file.name, "rb") as fh:
        return fh.read()
