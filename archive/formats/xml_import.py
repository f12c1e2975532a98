"""Import ALTO / PAGE XML produced by other tools, with their page images, as a new document.

Everything is parsed and checked first (safe XML, images decoded, every XML matched to an
image); only then are rows written, in one transaction. If anything fails, the images
stored by this import are deleted again, so a rejected import leaves nothing behind.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from archive.formats import readers, xmlsafe
from archive.formats.images import CheckedImage, StoredFiles, check_image
from archive.models import Collection, Document, GeometrySource, Line, Page, Region
from inscription.models import LayerKind
from inscription.services.inscriptions import create_inscription
from inscription.services.layers import get_or_create_layer
from palimpsest.errors import InputError

MAX_FILES = 500


@dataclass
class ImportResult:
    document: Document
    pages: int
    lines: int
    layer_id: int | None

    def as_dict(self) -> dict:
        return {"document": self.document.pk, "pages": self.pages, "lines": self.lines, "layer": self.layer_id}


def _key(name: str) -> str:
    return os.path.basename(name.replace("\\", "/")).lower()


def _stem(name: str) -> str:
    return os.path.splitext(_key(name))[0]


def _match_image(parsed: readers.ParsedPage, images: dict[str, CheckedImage], stems: dict[str, str]) -> tuple[str, CheckedImage]:
    wanted = parsed.image_filename
    if wanted and _key(wanted) in images:
        return _key(wanted), images[_key(wanted)]
    if wanted and _stem(wanted) in stems:
        return stems[_stem(wanted)], images[stems[_stem(wanted)]]
    # Tools often name the XML after the image: page_001.xml for page_001.jpg.
    stem = _stem(parsed.source_name)
    if stem in stems:
        return stems[stem], images[stems[stem]]
    raise InputError(
        f"{parsed.source_name}: no uploaded image matches '{wanted or parsed.source_name}'. "
        "Upload the page images with the XML files (matched by file name).",
        code="image_missing",
    )


def import_xml(
    collection: Collection,
    user: AbstractBaseUser,
    xml_files: list[tuple[str, bytes]],
    image_files: list[tuple[str, bytes]],
    *,
    title: str = "",
    ground_truth: bool = False,
) -> ImportResult:
    """Create one document from ALTO/PAGE files (pages in file-name order) and their images."""
    if not xml_files:
        raise InputError("Upload at least one ALTO or PAGE XML file.", code="no_xml")
    if len(xml_files) + len(image_files) > MAX_FILES:
        raise InputError(f"At most {MAX_FILES} files per import.", code="too_many_files")
    parsed: list[readers.ParsedPage] = []
    for name, data in sorted(xml_files, key=lambda f: _key(f[0])):
        root = xmlsafe.parse_untrusted(data, name=os.path.basename(name))
        pages = readers.read(root, os.path.basename(name))
        if len(pages) > 1:
            raise InputError(f"{name}: multi-page ALTO files cannot be matched to images; split them per page.", code="multi_page_alto")
        parsed.extend(pages)
    images = {_key(name): check_image(data, os.path.basename(name)) for name, data in image_files}
    stems = {_stem(name): name for name in images}
    matched = [(page, *_match_image(page, images, stems)) for page in parsed]
    software = "; ".join(dict.fromkeys(p.software for p in parsed if p.software)) or "unknown software"
    formats = sorted({p.format for p in parsed})
    stored = StoredFiles()
    try:
        with transaction.atomic():
            document = Document.objects.create(
                collection=collection,
                title=(title or _stem(parsed[0].source_name))[:500],
                source=f"Imported from {', '.join(f.upper() for f in formats)} written by {software}"[:1000],
                created_by=user,
            )
            layer = get_or_create_layer(
                document,
                "ground truth" if ground_truth else f"import: {software}"[:200],
                LayerKind.GROUND_TRUTH if ground_truth else LayerKind.IMPORT,
                parameters={"software": software, "formats": formats, "files": [p.source_name for p in parsed]},
                user=user,
            )
            line_count = 0
            for order, (page_data, image_name, image) in enumerate(matched):
                line_count += _write_page(document, layer, user, order, page_data, image_name, image, stored)
    except BaseException:
        stored.discard()
        raise
    return ImportResult(document, len(matched), line_count, layer.pk)


def _scaled(points, sx: float, sy: float) -> list[list[int]]:
    return [[int(round(x * sx)), int(round(y * sy))] for x, y in points]


def _write_page(document, layer, user, order, page_data: readers.ParsedPage, image_name, image: CheckedImage, stored) -> int:
    sx = image.width / page_data.width if page_data.width else 1.0
    sy = image.height / page_data.height if page_data.height else 1.0
    if page_data.scale == (-1.0, -1.0) and not (page_data.width and page_data.height):
        raise InputError(f"{page_data.source_name}: non-pixel units without Page WIDTH/HEIGHT cannot be scaled.", code="bad_alto")
    page = Page.objects.create(
        document=document, order=order, image=stored.blob(image), width=image.width, height=image.height,
        original_filename=os.path.basename(image_name),
    )
    regions = {}
    for n, reg in enumerate(page_data.regions):
        regions[reg.external_id] = Region.objects.create(
            page=page, polygon=_scaled(reg.polygon, sx, sy), order=n, kind=reg.kind or "text", source=GeometrySource.IMPORT,
            created_by=user,
        )
    for n, ln in enumerate(page_data.lines):
        line = Line.objects.create(
            page=page, region=regions.get(ln.region), order=n, polygon=_scaled(ln.polygon, sx, sy),
            baseline=_scaled(ln.baseline, sx, sy), external_id=ln.external_id[:100], source=GeometrySource.IMPORT, created_by=user,
        )
        extra = {"imported_from": page_data.source_name, "format": page_data.format, "software": page_data.software}
        if ln.word_confidences:
            extra["word_confidences"] = ln.word_confidences
        create_inscription(
            layer=layer, line=line, text=ln.text, user=user, confidence=ln.confidence,
            parameters={"software": page_data.software, "source_file": page_data.source_name}, extra=extra,
        )
    return len(page_data.lines)
