"""Import ALTO / PAGE XML produced by other tools: a new document with its images, or a new layer on existing pages.

Everything is parsed and checked first (safe XML, images decoded, every XML matched to an
image or a page); only then are rows written, in one transaction. If anything fails, the
images stored by this import are deleted again, so a rejected import leaves nothing
behind. The result says what was not kept (with counts), how pages were matched, which
machine is credited and who imported.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from archive.models import Collection, Document, Page
from exchange.formats import readers, xmlsafe
from exchange.formats.images import CheckedImage, StoredFiles, check_image
from exchange.formats.parsed import NotKept
from exchange.formats.xml_write import write_lines
from inscription.models import Layer, LayerKind
from inscription.services.layers import get_or_create_layer
from palimpsest.errors import InputError

MAX_FILES = 500
XML_SUFFIXES = (".xml", ".alto", ".page", ".mets")
MATCH_CHOICES = ("auto", "filename", "order", "page_id")


def is_xml(name: str, data: bytes) -> bool:
    """One rule for the API and the command: an XML suffix (.xml, .alto, .page, .mets) or content that starts with '<'."""
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return name.lower().endswith(XML_SUFFIXES) or head[:1] == b"<"


@dataclass
class ImportResult:
    document: Document
    pages: int
    lines: int
    layer_id: int | None
    not_kept: NotKept = field(default_factory=NotKept)
    matched_by: str = "new document"
    onto_existing_lines: int = 0
    new_lines: int = 0
    agents: list[str] = field(default_factory=list)
    imported_by: str = ""
    reading_order: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "document": self.document.pk, "pages": self.pages, "lines": self.lines, "layer": self.layer_id,
            "matched_by": self.matched_by, "onto_existing_lines": self.onto_existing_lines, "new_lines": self.new_lines,
            "credited_to": self.agents, "imported_by": self.imported_by, "reading_order": self.reading_order,
            "not_kept": self.not_kept.as_list(),
        }

    def summary(self) -> list[str]:
        """Human-readable lines for the command output and the UI."""
        out = [f"Imported document {self.document.pk}: {self.pages} pages, {self.lines} lines "
               f"({self.onto_existing_lines} onto existing lines, {self.new_lines} new), pages matched by {self.matched_by}.",
               f"Credited to: {', '.join(self.agents) or self.imported_by}; imported by {self.imported_by}."]
        out += [f"Not kept: {m}" for m in self.not_kept.messages()] or ["Not kept: nothing."]
        return out


def _key(name: str) -> str:
    return os.path.basename(name.replace("\\", "/")).lower()


def _stem(name: str) -> str:
    return os.path.splitext(_key(name))[0]


def parse_files(xml_files: list[tuple[str, bytes]]) -> list[readers.ParsedPage]:
    """Every XML file parsed safely, pages in file-name order (a multi-page ALTO keeps its page order)."""
    from exchange.formats import mets

    parsed: list[readers.ParsedPage] = []
    roots = [(os.path.basename(name), xmlsafe.parse_untrusted(data, name=os.path.basename(name)))
             for name, data in sorted(xml_files, key=lambda f: _key(f[0]))]
    mets_roots = [(n, r) for n, r in roots if readers.detect(r) == "mets"]
    if mets_roots:
        return mets.read_with_mets(mets_roots, [(n, r) for n, r in roots if readers.detect(r) != "mets"])
    for name, root in roots:
        parsed.extend(readers.read(root, name))
    return parsed


def _match_images(parsed: list[readers.ParsedPage], images: dict[str, CheckedImage]) -> list[tuple[str, CheckedImage]]:
    """Image per parsed page: by the file name the XML names, its stem, the XML file's stem; the pages of a multi-page
    ALTO that no name matches take the images no other page claimed, in file-name order."""
    stems = {_stem(name): name for name in images}
    per_file: dict[str, int] = {}
    for page in parsed:
        per_file[page.source_name] = per_file.get(page.source_name, 0) + 1
    chosen: list[str | None] = []
    for page in parsed:
        wanted = page.image_filename
        name = None
        if wanted and _key(wanted) in images:
            name = _key(wanted)
        elif wanted and _stem(wanted) in stems:
            name = stems[_stem(wanted)]
        elif page.page_number == 1 and _stem(page.source_name) in stems:
            name = stems[_stem(page.source_name)]
        chosen.append(name)
    spare = [n for n in sorted(images) if n not in chosen]
    for i, page in enumerate(parsed):
        if chosen[i] is None and per_file[page.source_name] > 1 and spare:
            chosen[i] = spare.pop(0)
        if chosen[i] is None:
            raise InputError(
                f"{page.source_name}: no uploaded image matches '{page.image_filename or page.source_name}'. "
                "Upload the page images with the XML files (matched by file name).", code="image_missing")
    return [(name, images[name]) for name in chosen]


def _match_pages(parsed: list[readers.ParsedPage], document: Document, match: str, page_ids: list[int]) -> tuple[list[Page], str]:
    """Existing page per parsed page, by explicit page ids, by image file name or by page order."""
    pages = list(document.pages.order_by("order", "id"))
    if match not in MATCH_CHOICES:
        raise InputError(f"match must be one of {', '.join(MATCH_CHOICES)}.", code="bad_match")
    if page_ids or match == "page_id":
        if len(page_ids) != len(parsed):
            raise InputError(f"{len(parsed)} pages were read but {len(page_ids)} page ids given.", code="page_mismatch")
        by_id = {p.pk: p for p in pages}
        missing = [pid for pid in page_ids if pid not in by_id]
        if missing:
            raise InputError(f"Pages {missing} are not in document {document.pk}.", code="page_mismatch")
        return [by_id[pid] for pid in page_ids], "page id"
    by_name: dict[str, Page] = {}
    for p in pages:
        by_name.setdefault(_key(p.original_filename), p)
        by_name.setdefault(_stem(p.original_filename), p)
    named = [by_name.get(_key(pp.image_filename)) or by_name.get(_stem(pp.image_filename)) or
             (by_name.get(_stem(pp.source_name)) if pp.page_number == 1 else None) for pp in parsed]
    if match == "filename" or (match == "auto" and all(named)):
        if not all(named):
            lost = [pp.image_filename or pp.source_name for pp, p in zip(parsed, named, strict=True) if p is None]
            raise InputError(f"No page of document {document.pk} has the image file name of {lost}.", code="page_mismatch")
        return named, "image file name"
    if len(parsed) > len(pages):
        raise InputError(f"{len(parsed)} pages were read but document {document.pk} has {len(pages)}.", code="page_mismatch")
    if match == "auto" and len(parsed) != len(pages):
        raise InputError(f"File names do not match and {len(parsed)} pages were read for {len(pages)} pages: "
                         "pass match=order or page ids.", code="page_mismatch")
    return pages[: len(parsed)], "page order"


def _layer_name(document: Document, base: str) -> str:
    name, n = base[:190], 1
    while Layer.objects.filter(document=document, name=name).exists():
        n += 1
        name = f"{base[:185]} ({n})"
    return name


def import_xml(
    collection: Collection,
    user: AbstractBaseUser,
    xml_files: list[tuple[str, bytes]],
    image_files: list[tuple[str, bytes]],
    *,
    title: str = "",
    ground_truth: bool = False,
    document: Document | None = None,
    match: str = "auto",
    page_ids: list[int] | None = None,
) -> ImportResult:
    """A new document from ALTO/PAGE/METS files and their images, or (``document``) a new layer on its pages."""
    if not xml_files:
        raise InputError("Upload at least one ALTO, PAGE or METS XML file.", code="no_xml")
    if len(xml_files) + len(image_files) > MAX_FILES:
        raise InputError(f"At most {MAX_FILES} files per import.", code="too_many_files")
    if document is not None and document.collection_id != collection.pk:
        raise InputError("That document is not in this collection.", code="bad_document")
    parsed = parse_files(xml_files)
    if not parsed:
        raise InputError("The files hold no page.", code="no_xml")
    not_kept = NotKept()
    for page in parsed:
        not_kept.merge(page.not_kept)
    if document is not None:
        targets, matched_by = _match_pages(parsed, document, match, page_ids or [])
        if image_files:
            not_kept.add("image files (the pages already have their images)", len(image_files))
        matched = []
    else:
        images = {_key(name): check_image(data, os.path.basename(name)) for name, data in image_files}
        matched = _match_images(parsed, images)
        matched_by = "image file name" if len(matched) == len({n for n, _ in matched}) else "page order"
        targets = []
    software = "; ".join(dict.fromkeys(p.software for p in parsed if p.software)) or "unknown software"
    formats = sorted({p.format for p in parsed})
    stored = StoredFiles()
    onto = new = 0
    onto_existing = document is not None
    originals = {_key(n): os.path.basename(n.replace("\\", "/")) for n, _ in image_files}
    try:
        with transaction.atomic():
            if document is None:
                first = os.path.basename(parsed[0].source_name.replace("\\", "/"))
                document = Document.objects.create(
                    collection=collection, title=(title or os.path.splitext(first)[0])[:500],
                    source=f"Imported from {', '.join(f.upper() for f in formats)} written by {software}"[:1000],
                    created_by=user,
                )
                for order, (image_name, image) in enumerate(matched):
                    targets.append(Page.objects.create(
                        document=document, order=order, image=stored.blob(image), width=image.width, height=image.height,
                        original_filename=originals.get(image_name, os.path.basename(image_name))))
            base = "ground truth" if ground_truth else f"import: {software}"
            layer = get_or_create_layer(
                document, _layer_name(document, base) if onto_existing else base[:200],
                LayerKind.GROUND_TRUTH if ground_truth else LayerKind.IMPORT,
                parameters={"software": software, "formats": formats, "files": list(dict.fromkeys(p.source_name for p in parsed)),
                            "imported_by": user.get_username(), "matched_by": matched_by,
                            "provenance": {p.source_name: p.provenance for p in parsed if p.provenance}},
                user=user,
            )
            for page_data, page in zip(parsed, targets, strict=True):
                a, b = write_lines(page, layer, user, page_data, onto_existing=onto_existing)
                onto, new = onto + a, new + b
    except BaseException:
        stored.discard()
        raise
    agents = sorted({ins for ins in layer.inscriptions.filter(model_version__isnull=False)
                     .values_list("model_version__name", "model_version__version").distinct()})
    return ImportResult(
        document, len(targets), onto + new, layer.pk, not_kept, matched_by, onto, new,
        [f"{n} {v}".strip() + " (machine)" for n, v in agents], user.get_username(),
        list(dict.fromkeys(f"{p.source_name}: {p.reading_order}" for p in parsed)),
    )
