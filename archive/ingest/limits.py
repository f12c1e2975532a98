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
