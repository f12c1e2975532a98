"""Born-digital plain text: UTF-8 when it is, otherwise a declared fallback recorded on the Text row."""
from __future__ import annotations

import codecs
import hashlib

from archive.ingest.errors import IngestError
from archive.ingest.limits import text_fallback_encodings
from archive.ingest.plans import TextPlan

BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def decode_text_bytes(name: str, data: bytes) -> tuple[str, str]:
    """(content, encoding). Never raises UnicodeDecodeError: the last fallback (latin-1) decodes anything."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError:
                break
    candidates = ("utf-8", *text_fallback_encodings(), "latin-1")
    for encoding in candidates:
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError):
            continue
    raise IngestError("undecodable_text", f"'{name}' cannot be decoded as text.")  # unreachable with latin-1


def decode_text(name: str, data: bytes, title: str) -> TextPlan:
    content, encoding = decode_text_bytes(name, data)
    if "\x00" in content:
        raise IngestError("binary_content", f"'{name}' is named as text but holds binary data.", 415)
    content = content.replace("\r\n", "\n").replace("\r", "\n")
    if not content.strip():
        raise IngestError("empty_file", f"'{name}' holds no text.")
    return TextPlan(title=title, source_name=name, content=content, encoding=encoding, sha256=hashlib.sha256(data).hexdigest())
