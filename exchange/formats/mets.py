"""METS as OCR-D and eScriptorium write it: read it to pair each page image with its ALTO/PAGE, and write one.

Why: a METS ``fileSec`` + physical ``structMap`` links each image to its XML, so the file
names need not match. Reading: for every page ``div`` (in ``ORDER``), the image is the
``fptr`` file with an image MIME type or an image-like ``USE``; the text is the uploaded
XML file of the *last* file group in ``fileSec`` order (OCR-D's latest processing step).
METS agents (``metsHdr/agent``) become provenance when a page names none.
"""
from __future__ import annotations

import os

from lxml import etree

from exchange.formats import provenance
from exchange.formats.parsed import NotKept, ParsedPage, count_unread
from exchange.formats.xmlsafe import child, children, descendants, local
from palimpsest.errors import InputError

NS = "http://www.loc.gov/METS/"
XLINK = "http://www.w3.org/1999/xlink"
IMAGE_USES = ("image", "img", "master", "default", "max", "ocr-d-img", "images")
KEPT = {"metsHdr", "agent", "name", "note", "fileSec", "fileGrp", "file", "FLocat", "structMap", "div", "fptr", "area"}


def _href(file_el: etree._Element) -> str:
    loc = child(file_el, "FLocat")
    return (loc.get(f"{{{XLINK}}}href") or loc.get("href") or "") if loc is not None else ""


def _is_image(file_el: etree._Element, use: str) -> bool:
    mime = (file_el.get("MIMETYPE") or "").lower()
    return mime.startswith("image/") or (not mime.endswith("xml") and use.lower() in IMAGE_USES)


def _agents(root: etree._Element) -> list[dict]:
    header = child(root, "metsHdr")
    steps = []
    for agent in children(header, "agent") if header is not None else []:
        name = (child(agent, "name").text or "").strip() if child(agent, "name") is not None else ""
        if not name:
            continue
        software, _, version = name.partition(" v")
        step = {"software": software.strip(), "version": version.strip(), "description": agent.get("OTHERROLE") or agent.get("ROLE") or "",
                "source": "METS agent"}
        steps.append({k: v for k, v in step.items() if v})
    return steps


def read_with_mets(mets_roots: list[tuple[str, etree._Element]], xml_roots: list[tuple[str, etree._Element]]) -> list[ParsedPage]:
    """The pages a METS file describes, read from the uploaded XML files it points at."""
    from exchange.formats import readers

    if len(mets_roots) > 1:
        raise InputError("Upload one METS file per import.", code="bad_mets")
    mets_name, root = mets_roots[0]
    uploaded = {os.path.basename(n).lower(): (n, r) for n, r in xml_roots}
    files: dict[str, tuple[str, str, int, etree._Element]] = {}  # ID -> (use, href, group position, el)
    for g, group in enumerate(descendants(root, "fileGrp")):
        for file_el in children(group, "file"):
            files[file_el.get("ID") or ""] = (group.get("USE") or "", _href(file_el), g, file_el)
    maps = [m for m in children(root, "structMap") if (m.get("TYPE") or "").lower() == "physical"] or children(root, "structMap")
    if not maps:
        raise InputError(f"{mets_name}: the METS file has no structMap.", code="bad_mets")
    page_divs = [d for d in descendants(maps[0], "div") if (d.get("TYPE") or "").lower() == "page"]
    page_divs.sort(key=lambda d: int(d.get("ORDER")) if (d.get("ORDER") or "").isdigit() else 0)
    report = NotKept()
    count_unread(root, KEPT, {}, report)
    agents = _agents(root)
    pages: list[ParsedPage] = []
    used: set[str] = set()
    cache: dict[str, list[ParsedPage]] = {}
    taken_from: dict[str, int] = {}
    for div in page_divs:
        image, texts = "", []
        for fptr in children(div, "fptr"):
            ids = [fptr.get("FILEID")] + [a.get("FILEID") for a in descendants(fptr, "area")]
            for fid in filter(None, ids):
                if fid not in files:
                    raise InputError(f"{mets_name}: fptr FILEID '{fid}' names no file.", code="bad_mets")
                use, href, g, el = files[fid]
                if _is_image(el, use):
                    image = image or href
                elif os.path.basename(href).lower() in uploaded:
                    texts.append((g, os.path.basename(href).lower()))
        if not texts:
            report.add("METS pages with no uploaded ALTO/PAGE file")
            continue
        texts.sort()
        report.add("XML files of earlier METS file groups (the last group's file is read)", len(texts) - 1)
        key = texts[-1][1]
        used.add(key)
        if key not in cache:
            name, xml_root = uploaded[key]
            cache[key] = readers.read(xml_root, os.path.basename(name))
        taken = taken_from.get(key, 0)
        if taken >= len(cache[key]):
            raise InputError(f"{mets_name}: more pages point at {key} than it holds.", code="bad_mets")
        page = cache[key][taken]
        taken_from[key] = taken + 1
        if image:
            page.image_filename = os.path.basename(image)
        page.page_number = 1  # matched through METS, not by position in a multi-page file
        if not page.provenance and agents:
            page.provenance = list(agents)
            step = provenance.reading_step(agents)
            page.software = page.software or (provenance.software_label(step) if step else "")
        pages.append(page)
    unused = [n for n in uploaded if n not in used]
    if pages:
        pages[0].not_kept.merge(report)
        if unused:
            pages[0].not_kept.add("uploaded XML files the METS file does not name", len(unused))
    return pages


def export_mets(document, files: list[dict]) -> bytes:
    """METS for a document export: ``files`` = [{"page": Page, "image": href, "alto": (href, ALTO Page ID), "page_xml": href}]."""
    root = etree.Element(f"{{{NS}}}mets", nsmap={None: NS, "xlink": XLINK})
    header = etree.SubElement(root, f"{{{NS}}}metsHdr")
    agent = etree.SubElement(header, f"{{{NS}}}agent", ROLE="CREATOR", TYPE="OTHER", OTHERTYPE="SOFTWARE")
    etree.SubElement(agent, f"{{{NS}}}name").text = "Palimpsest"
    file_sec = etree.SubElement(root, f"{{{NS}}}fileSec")
    groups = {use: etree.SubElement(file_sec, f"{{{NS}}}fileGrp", USE=use) for use in ("IMAGE", "ALTO", "PAGE")}
    struct = etree.SubElement(root, f"{{{NS}}}structMap", TYPE="PHYSICAL")
    seq = etree.SubElement(struct, f"{{{NS}}}div", TYPE="physSequence", LABEL=document.title[:200])
    alto_written = set()
    for n, item in enumerate(files, 1):
        div = etree.SubElement(seq, f"{{{NS}}}div", TYPE="page", ORDER=str(n), ID=f"phys_{n:04d}")
        if item["page"].label:
            div.set("ORDERLABEL", item["page"].label)
        entries = [("IMAGE", f"img_{n:04d}", item["image"], item["page"].image.mime_type or "image/png"),
                   ("PAGE", f"page_{n:04d}", item["page_xml"], "application/vnd.prima.page+xml")]
        for use, fid, href, mime in entries:
            _file(groups[use], fid, href, mime)
            etree.SubElement(div, f"{{{NS}}}fptr", FILEID=fid)
        alto_href, alto_page = item["alto"]
        if alto_href not in alto_written:
            _file(groups["ALTO"], "alto", alto_href, "application/alto+xml")
            alto_written.add(alto_href)
        fptr = etree.SubElement(div, f"{{{NS}}}fptr")
        etree.SubElement(fptr, f"{{{NS}}}area", FILEID="alto", BEGIN=alto_page, BETYPE="IDREF")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def document_files(pages, image_href) -> list[dict]:
    """The ``files`` of ``export_mets`` for the usual layout: ``alto.xml`` (one Page per page) and ``page/NNNN.xml``."""
    return [{"page": page, "image": image_href(page) if not isinstance(image_href, dict) else image_href[page.pk], "alto": ("alto.xml", f"page_{n}"), "page_xml": f"page/{n:04d}.xml"}
            for n, page in enumerate(pages, 1)]


def _file(group, fid: str, href: str, mime: str) -> None:
    el = etree.SubElement(group, f"{{{NS}}}file", ID=fid, MIMETYPE=mime)
    etree.SubElement(el, f"{{{NS}}}FLocat", LOCTYPE="OTHER", OTHERLOCTYPE="FILE", **{f"{{{XLINK}}}href": href})


__all__ = ["export_mets", "local", "read_with_mets"]
