"""Parse untrusted XML safely and validate our XML against the official schemas.

Why two parsers: defusedxml rejects DTDs with entity declarations (XXE, billion laughs)
before anything is expanded; lxml then parses with entity resolution, network and DTD
loading off, and without huge_tree, so even a file that slipped past cannot fetch or
explode. Every rejection is an ``InputError`` with a plain message (a 400 in the API).
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import defusedxml.ElementTree as defused_et
from defusedxml import DefusedXmlException
from lxml import etree

from palimpsest.errors import InputError

SCHEMAS = Path(__file__).resolve().parent / "schemas"
ALTO_XSD = SCHEMAS / "alto" / "alto-4-4.xsd"
PAGE_XSD = SCHEMAS / "page" / "pagecontent.xsd"
# The ALTO schema imports XLink by URL; it resolves to the local copy, never the network.
OFFLINE_SCHEMAS = {"http://www.loc.gov/standards/xlink/xlink.xsd": str(SCHEMAS / "alto" / "xlink" / "xlink.xsd")}
MAX_XML_BYTES = 50 * 1024 * 1024


def safe_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, dtd_validation=False, remove_comments=True
    )


def parse_untrusted(data: bytes, name: str = "the file") -> etree._Element:
    """The root element of an untrusted XML document, or a clear ``InputError``."""
    if len(data) > MAX_XML_BYTES:
        raise InputError(f"{name} is larger than {MAX_XML_BYTES // (1024 * 1024)} MB.", code="xml_too_large")
    try:
        defused_et.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise InputError(
            f"{name} declares XML entities or external references, which are refused (XXE / entity expansion): {type(exc).__name__}.",
            code="xml_unsafe",
        ) from exc
    except defused_et.ParseError as exc:
        raise InputError(f"{name} is not well-formed XML: {exc}", code="xml_malformed") from exc
    try:
        root = etree.fromstring(data, parser=safe_parser())
    except etree.XMLSyntaxError as exc:
        raise InputError(f"{name} is not well-formed XML: {exc}", code="xml_malformed") from exc
    tree = root.getroottree()
    if tree.docinfo.system_url or tree.docinfo.public_id:
        # An external DTD is never loaded here, but a file that names one is refused as documented.
        raise InputError(f"{name} refers to an external DTD, which is refused.", code="xml_unsafe")
    if tree.docinfo.internalDTD is not None or tree.docinfo.doctype:
        # A plain DOCTYPE without entities is harmless but never needed by ALTO or PAGE.
        if b"<!ENTITY" in data.upper():
            raise InputError(f"{name} declares XML entities, which are refused.", code="xml_unsafe")
    return root


class _Offline(etree.Resolver):
    def resolve(self, url, pubid, context):  # noqa: D401 - lxml API
        if url in OFFLINE_SCHEMAS:
            return self.resolve_filename(OFFLINE_SCHEMAS[url], context)
        return None


@lru_cache(maxsize=2)
def schema(kind: str) -> etree.XMLSchema:
    """The compiled XSD for 'alto' or 'page' (compiled once per process)."""
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(_Offline())
    path = {"alto": ALTO_XSD, "page": PAGE_XSD}[kind]
    return etree.XMLSchema(etree.parse(str(path), parser))


def validation_errors(kind: str, xml: bytes | etree._Element) -> list[str]:
    """Schema errors of our own output ([] when valid)."""
    doc = etree.fromstring(xml, parser=safe_parser()) if isinstance(xml, bytes) else xml
    xsd = schema(kind)
    if xsd.validate(doc):
        return []
    return [f"line {e.line}: {e.message}" for e in xsd.error_log]


def local(tag: object) -> str:
    """Local name of an element tag, whatever its namespace (ALTO v2/v3/v4, PAGE 2010-2019)."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def children(el: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in el if local(c.tag) == name]


def child(el: etree._Element, name: str) -> etree._Element | None:
    for c in el:
        if local(c.tag) == name:
            return c
    return None


def descendants(el: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in el.iter() if local(c.tag) == name]
