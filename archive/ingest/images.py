"""PNG, JPEG and TIFF scans: verified, fully decoded once, checked against the pixel limit.

PNG and JPEG are stored as uploaded (their bytes are the content address). TIFF is not shown
by browsers, so each TIFF frame (a multi-page TIFF gives several pages) is stored as a
lossless PNG.
"""
from __future__ import annotations

import io
from collections.abc import Iterator

from PIL import Image

from archive.ingest.errors import IngestError
from archive.ingest.limits import PixelBudget, max_image_pixels, max_pages_per_file
from archive.ingest.plans import PageImage
from archive.ingest.sniff import IMAGE_FORMATS

STORED_AS_UPLOADED = {"PNG": ("png", "image/png"), "JPEG": ("jpg", "image/jpeg"), "MPO": ("jpg", "image/jpeg")}
PNG_SAFE_MODES = {"1", "L", "LA", "P", "RGB", "RGBA"}


def _check_pixels(name: str, width: int, height: int) -> None:
    limit = max_image_pixels()
    if width <= 0 or height <= 0:
        raise IngestError("corrupt_image", f"'{name}' has no pixels ({width}x{height}).")
    if width * height > limit:
        raise IngestError(
            "decompression_bomb",
            f"'{name}' is {width}x{height} = {width * height} pixels, over the limit of {limit} (MAX_IMAGE_PIXELS).",
            status=413,
        )


def _open(data: bytes) -> Image.Image:
    Image.MAX_IMAGE_PIXELS = max_image_pixels()
    return Image.open(io.BytesIO(data), formats=IMAGE_FORMATS)


def _verify(name: str, data: bytes) -> str:
    """verify() checks structure and checksums without decoding; returns the format."""
    try:
        with _open(data) as image:
            fmt = image.format
            _check_pixels(name, *image.size)
            image.verify()
    except IngestError:
        raise
    except Image.DecompressionBombError as exc:
        raise IngestError("decompression_bomb", f"'{name}' is too large to decode safely: {exc}", status=413) from exc
    except Exception as exc:  # noqa: BLE001 - Pillow raises many types (OSError, SyntaxError, struct.error...)
        raise IngestError("corrupt_image", f"'{name}' is a damaged image: {exc}") from exc
    return fmt


def _as_png(frame: Image.Image) -> bytes:
    if frame.mode not in PNG_SAFE_MODES:
        frame = frame.convert("RGB")
    buffer = io.BytesIO()
    frame.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def decode_image(name: str, data: bytes, budget: PixelBudget | None = None) -> Iterator[PageImage]:
    """Yield one PageImage per page. Raises IngestError on corrupt, truncated or oversized images."""
    fmt = _verify(name, data)
    try:
        with _open(data) as image:
            frames = getattr(image, "n_frames", 1) if fmt == "TIFF" else 1
            if frames > max_pages_per_file():
                raise IngestError("too_many_pages", f"'{name}' has {frames} pages, over the limit of {max_pages_per_file()}.", 413)
            for index in range(frames):
                image.seek(index)
                _check_pixels(name, *image.size)
                if budget is not None:
                    budget.spend(name, image.size[0] * image.size[1])
                image.load()  # full decode: catches truncation that verify() cannot see
                if fmt in STORED_AS_UPLOADED:
                    ext, mime = STORED_AS_UPLOADED[fmt]
                    yield PageImage(data, ext, mime, image.width, image.height, name)
                else:
                    png = _as_png(image)
                    label = name if frames == 1 else f"{name}#{index + 1}"
                    yield PageImage(png, "png", "image/png", image.width, image.height, label)
    except IngestError:
        raise
    except Image.DecompressionBombError as exc:
        raise IngestError("decompression_bomb", f"'{name}' is too large to decode safely: {exc}", status=413) from exc
    except Exception as exc:  # noqa: BLE001
        raise IngestError("corrupt_image", f"'{name}' is a damaged or truncated image: {exc}") from exc
