"""Dispatch an upload to the decoder its content calls for, and group zip members into documents."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import BinaryIO

from archive.ingest import zips
from archive.ingest.errors import IngestError
from archive.ingest.images import decode_image
from archive.ingest.limits import PixelBudget, max_upload_bytes
from archive.ingest.pdf import decode_pdf, open_pdf
from archive.ingest.plans import DecodedFile, PageImage, ScanPlan, Skipped, TextPlan
from archive.ingest.sniff import IMAGE, PDF, TEXT, ZIP, classify
from archive.ingest.text import decode_text


def title_from(name: str) -> str:
    """A document's title from an uploaded file: its whole file name, extension included, so a TIFF and a
    PDF of the same bundle ("bundle-3p.tif", "bundle-3p.pdf") stay two distinguishable documents."""
    return PurePosixPath(name.replace("\\", "/")).name or name


def _pages(name: str, kind: str, data: bytes, budget: PixelBudget) -> Iterator[PageImage]:
    return decode_image(name, data, budget) if kind == IMAGE else decode_pdf(name, data, budget)


def decode_file(name: str, handle: BinaryIO, size: int, budget: PixelBudget | None = None) -> DecodedFile:
    """What one uploaded file holds. Scan pages are produced lazily while ``handle`` stays open.
    ``budget``: the request's pixel budget, shared by all its files (a fresh one for this file when None)."""
    if size > max_upload_bytes():
        raise IngestError("too_large", f"'{name}' is {size} bytes, over the limit of {max_upload_bytes()} (MAX_UPLOAD_BYTES).", 413)
    budget = budget if budget is not None else PixelBudget()
    head = handle.read(1024)
    if head[:4] in zips.ZIP_MAGIC:
        handle.seek(0)
        return _decode_zip(name, handle, budget)  # read member by member, never whole
    head += handle.read(max_upload_bytes() + 1 - len(head))
    if len(head) > max_upload_bytes():
        raise IngestError("too_large", f"'{name}' is over the limit of {max_upload_bytes()} bytes (MAX_UPLOAD_BYTES).", 413)
    kind = classify(head, name)
    if kind == TEXT:
        return DecodedFile(plans=[decode_text(name, head, title_from(name))])
    if kind == PDF:
        open_pdf(name, head).close()  # refuse a broken PDF before anything is stored
    return DecodedFile(plans=[ScanPlan(title=title_from(name), source_name=name, pages=_pages(name, kind, head, budget))])


def _decode_zip(name: str, handle: BinaryIO, budget: PixelBudget) -> DecodedFile:
    """Each folder's images and PDFs → one scan document (pages in natural name order);
    each .txt → its own text document; files at the root → one document each."""
    archive, members, system = zips.open_zip(name, handle)
    result = DecodedFile(skipped=[Skipped(path, "system or hidden file") for path in system])
    scans: dict[str, list[tuple[zips.Member, str]]] = {}
    for member in members:
        label = f"{name}/{member.path}"
        data = zips.read_member(name, archive, member)
        try:
            kind = classify(data, str(member.path))
        except IngestError as exc:
            if exc.code == "unsupported_type":
                result.skipped.append(Skipped(str(member.path), "unsupported file type"))
                continue
            raise IngestError(exc.code, f"In '{name}': {exc.message}", exc.status) from exc
        if kind == ZIP:
            result.skipped.append(Skipped(str(member.path), "nested zip archives are not opened"))
        elif kind == TEXT:
            result.plans.append(decode_text(label, data, title_from(member.path.name)))
        else:
            if kind == PDF:
                open_pdf(label, data).close()
            key = member.folder or str(member.path)
            scans.setdefault(key, []).append((member, kind))
    for key, items in sorted(scans.items(), key=lambda kv: zips.natural_key(kv[0])):
        title = PurePosixPath(key).name if items[0][0].folder else title_from(key)
        result.plans.append(ScanPlan(title=title, source_name=f"{name}/{key}", pages=_zip_pages(name, archive, items, budget)))
    if not result.plans:
        raise IngestError("empty_file", f"'{name}' holds no images, PDFs or texts to ingest.")
    return result


def _zip_pages(name: str, archive, items: list[tuple[zips.Member, str]], budget: PixelBudget) -> Iterator[PageImage]:
    for member, kind in items:
        label = f"{name}/{member.path}"
        yield from _pages(label, kind, zips.read_member(name, archive, member), budget)


__all__ = ["decode_file", "DecodedFile", "ScanPlan", "TextPlan", "IMAGE", "PDF", "TEXT", "ZIP"]
