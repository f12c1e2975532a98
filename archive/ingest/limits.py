"""Ingest limits, read from settings at call time so tests and deployments can change them."""
from __future__ import annotations

from django.conf import settings


def max_upload_bytes() -> int:
    return int(settings.MAX_UPLOAD_BYTES)


def max_image_pixels() -> int:
    return int(settings.MAX_IMAGE_PIXELS)


def max_pages_per_file() -> int:
    return int(getattr(settings, "MAX_PAGES_PER_FILE", 2000))


def pdf_render_dpi() -> int:
    return int(getattr(settings, "PDF_RENDER_DPI", 150))


def text_fallback_encodings() -> tuple[str, ...]:
    return tuple(getattr(settings, "TEXT_FALLBACK_ENCODINGS", ("cp1252", "latin-1")))


def max_zip_members() -> int:
    return int(settings.MAX_ZIP_MEMBERS)


def max_zip_uncompressed_bytes() -> int:
    return int(settings.MAX_ZIP_UNCOMPRESSED_BYTES)


def max_zip_ratio() -> int:
    return int(settings.MAX_ZIP_RATIO)


def max_decoded_pixels() -> int:
    return int(getattr(settings, "MAX_DECODED_PIXELS", 2_500_000_000))


class PixelBudget:
    """Pixels one upload may decode in all (TIFF frames, PDF pages, zip members together).

    Why: each frame under MAX_IMAGE_PIXELS is not enough; a 108 KB TIFF of many 100-Mpx frames
    kept a web thread decoding for minutes. The budget is spent before each decode.
    """

    def __init__(self, limit: int | None = None) -> None:
        self.limit = max_decoded_pixels() if limit is None else limit
        self.spent = 0

    def spend(self, name: str, pixels: int) -> None:
        from archive.ingest.errors import IngestError

        self.spent += pixels
        if self.spent > self.limit:
            raise IngestError("too_many_pixels", f"'{name}' decodes to more than {self.limit} pixels in all "
                              "(MAX_DECODED_PIXELS); split the upload.", 413)
