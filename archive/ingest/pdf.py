"""PDFs: each page rendered to a PNG scan at PDF_RENDER_DPI with pdfium (no external programs)."""
from __future__ import annotations

import io
from collections.abc import Iterator

from archive.ingest.errors import IngestError
from archive.ingest.limits import PixelBudget, max_image_pixels, max_pages_per_file, pdf_render_dpi
from archive.ingest.plans import PageImage


def open_pdf(name: str, data: bytes):
    """Open and check the page count up front, so a bad PDF fails before any page is stored."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise IngestError("corrupt_pdf", f"'{name}' cannot be opened as a PDF: {exc}") from exc
    count = len(document)
    if count == 0:
        document.close()
        raise IngestError("empty_file", f"'{name}' is a PDF without pages.")
    if count > max_pages_per_file():
        document.close()
        raise IngestError("too_many_pages", f"'{name}' has {count} pages, over the limit of {max_pages_per_file()}.", 413)
    return document


def decode_pdf(name: str, data: bytes, budget: PixelBudget | None = None) -> Iterator[PageImage]:
    """Yield one PNG page per PDF page. Pages whose rendering would exceed MAX_IMAGE_PIXELS are refused."""
    document = open_pdf(name, data)
    scale = pdf_render_dpi() / 72.0
    try:
        for index in range(len(document)):
            try:  # a page tree whose /Count exceeds its real pages fails here
                page = document[index]
            except Exception as exc:  # noqa: BLE001 - pdfium raises PdfiumError and friends
                raise IngestError("corrupt_pdf", f"'{name}' page {index + 1} cannot be read: {exc}") from exc
            try:
                width_pt, height_pt = page.get_size()
                width, height = round(width_pt * scale), round(height_pt * scale)
                if width <= 0 or height <= 0:
                    raise IngestError("corrupt_pdf", f"'{name}' page {index + 1} has no size.")
                if width * height > max_image_pixels():
                    raise IngestError(
                        "decompression_bomb",
                        f"'{name}' page {index + 1} would render to {width}x{height} pixels, over MAX_IMAGE_PIXELS.",
                        413,
                    )
                if budget is not None:
                    budget.spend(name, width * height)
                try:
                    image = page.render(scale=scale).to_pil()
                except Exception as exc:  # noqa: BLE001 - pdfium raises PdfiumError and friends
                    raise IngestError("corrupt_pdf", f"'{name}' page {index + 1} cannot be rendered: {exc}") from exc
            finally:
                page.close()
            if image.mode not in ("L", "RGB"):
                image = image.convert("RGB")
            buffer = io.BytesIO()
            image.save(buffer, format="PNG")
            yield PageImage(buffer.getvalue(), "png", "image/png", image.width, image.height, f"{name}#{index + 1}")
    finally:
        document.close()
