"""Reading ALTO and PAGE XML written by other tools (Transkribus, kraken, eScriptorium, OCR-D...).

Both readers return the same neutral ``ParsedPage`` (``exchange.formats.parsed``) so one
service imports them; the format details are in ``read_alto`` and ``read_page``.
"""
from __future__ import annotations

from lxml import etree

from exchange.formats.parsed import NotKept, ParsedLine, ParsedPage, ParsedRegion, ParsedSegment, parse_points
from exchange.formats.read_alto import read_alto
from exchange.formats.read_page import read_page
from exchange.formats.xmlsafe import local
from palimpsest.errors import InputError

__all__ = ["NotKept", "ParsedLine", "ParsedPage", "ParsedRegion", "ParsedSegment", "detect", "parse_points", "read",
           "read_alto", "read_page"]


def detect(root: etree._Element) -> str:
    name = local(root.tag)
    if name == "alto":
        return "alto"
    if name == "PcGts":
        return "page"
    if name == "mets":
        return "mets"
    raise InputError(f"The XML root is <{name}>; an ALTO (<alto>), PAGE (<PcGts>) or METS (<mets>) file is expected.",
                     code="not_alto_or_page")


def read(data_root: etree._Element, source_name: str) -> list[ParsedPage]:
    kind = detect(data_root)
    if kind == "mets":
        raise InputError(f"{source_name}: a METS file is read with its ALTO/PAGE files, not alone.", code="not_alto_or_page")
    return read_alto(data_root, source_name) if kind == "alto" else read_page(data_root, source_name)
