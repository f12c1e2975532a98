"""The neutral shape ALTO, PAGE and METS readers return, and the record of what a reader did not keep.

Why one shape: one import service writes every format, and the exporters write the same
fields back, so a round trip is exact for everything listed here. Why ``NotKept``: an
import must never drop anything silently; each reader counts what it did not keep and
the import result, the API response and the command output list those counts.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

from lxml import etree

from exchange.formats.xmlsafe import local
from palimpsest.errors import InputError

# No scan is ten million pixels across: a larger coordinate is an error, not a position.
MAX_COORDINATE = 10_000_000


class NotKept:
    """Counts of what an import read but did not keep, by description ("Glyph elements")."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def add(self, what: str, count: int = 1) -> None:
        if count:
            self.counts[what] += count

    def merge(self, other: NotKept) -> None:
        self.counts.update(other.counts)

    def as_list(self) -> list[dict]:
        return [{"what": what, "count": n, "message": f"{n} {what} not kept"} for what, n in sorted(self.counts.items())]

    def messages(self) -> list[str]:
        return [item["message"] for item in self.as_list()]


def count_unread(root: etree._Element, kept: set[str], through: dict[str, str], report: NotKept, skip: set[str] = frozenset()) -> None:
    """Count every element the reader does not handle, once at its top-most unhandled level.

    ``kept``: element names the reader reads (their children are checked too). ``through``:
    containers that are not kept themselves but whose contents are (counted with the given
    note, then walked). ``skip``: elements read elsewhere (not counted, not walked).
    """
    stack = [root]
    while stack:
        el = stack.pop()
        for ch in el:
            if not isinstance(ch.tag, str):
                continue  # comments, processing instructions
            name = local(ch.tag)
            if name in skip:
                continue
            if name in kept:
                stack.append(ch)
            elif name in through:
                report.add(f"{name} elements ({through[name]})")
                stack.append(ch)
            else:
                report.add(f"{name} elements")


@dataclass
class ParsedSegment:
    """A word (or a glyph inside a word): its text, its place in the line's text, geometry, confidence, alternatives."""

    text: str
    start: int = 0
    polygon: list[list[float]] = field(default_factory=list)
    conf: float | None = None
    alternatives: list[dict] = field(default_factory=list)  # [{"text": ..., "conf": ...}]
    glyphs: list[ParsedSegment] = field(default_factory=list)
    external_id: str = ""

    def as_dict(self, sx: float = 1.0, sy: float = 1.0) -> dict:
        out: dict = {"text": self.text, "start": self.start, "end": self.start + len(self.text)}
        if self.external_id:
            out["id"] = self.external_id
        if self.polygon:
            out["polygon"] = [[int(round(x * sx)), int(round(y * sy))] for x, y in self.polygon]
        if self.conf is not None:
            out["conf"] = self.conf
        if self.alternatives:
            out["alternatives"] = self.alternatives
        if self.glyphs:
            out["glyphs"] = [g.as_dict(sx, sy) for g in self.glyphs]
        return out


def drop_default_ids(word: ParsedSegment, line_id: str, n: int) -> None:
    """Forget the word and glyph ids our exporters make up (``{line}_w{n}``, ``{word}_g{k}``), so a round trip adds none."""
    word_id = word.external_id or f"{line_id}_w{n}"
    if word.external_id == f"{line_id}_w{n}":
        word.external_id = ""
    for k, glyph in enumerate(word.glyphs, 1):
        if glyph.external_id == f"{word_id}_g{k}":
            glyph.external_id = ""


def informative(words: list[ParsedSegment]) -> bool:
    """Whether words say more than the line's text already does (geometry, confidence, alternatives, glyphs or ids)."""
    return any(w.polygon or w.conf is not None or w.alternatives or w.glyphs or w.external_id for w in words)


@dataclass
class ParsedLine:
    external_id: str
    polygon: list[list[float]]
    baseline: list[list[float]]
    text: str
    confidence: float | None = None
    region: str = ""
    word_confidences: list[float] = field(default_factory=list)
    words: list[ParsedSegment] = field(default_factory=list)
    alternatives: list[dict] = field(default_factory=list)  # other readings of the whole line
    region_text: bool = False  # the text was on a region with no lines
    tags: list[dict] = field(default_factory=list)  # Transkribus span tags (exchange.formats.custom_tags)
    kind: str = ""  # SegmOnto line type: ALTO TAGREFS → OtherTag LABEL, PAGE custom "structure {type:…}"


# Regions that hold no text, kept as regions of these kinds (PAGE element → kind); ALTO writes them as Illustration
# (with TYPE = the kind, none for "image") and GraphicalElement ("separator"), PAGE as the same element again.
NON_TEXT_REGIONS = {"ImageRegion": "image", "GraphicRegion": "graphic", "SeparatorRegion": "separator", "TableRegion": "table",
                    "ChartRegion": "chart", "LineDrawingRegion": "line-drawing", "MathsRegion": "maths", "ChemRegion": "chem",
                    "MusicRegion": "music", "AdvertRegion": "advert", "NoiseRegion": "noise", "MapRegion": "map",
                    "CustomRegion": "custom", "UnknownRegion": "unknown"}
PAGE_ELEMENT_OF_KIND = {kind: element for element, kind in NON_TEXT_REGIONS.items()}


@dataclass
class ParsedRegion:
    external_id: str
    polygon: list[list[float]]
    kind: str = ""  # SegmOnto zone: ALTO TAGREFS → OtherTag LABEL, PAGE custom "structure {type:…}" or @type


@dataclass
class ParsedPage:
    format: str
    source_name: str
    image_filename: str
    width: int | None
    height: int | None
    software: str
    lines: list[ParsedLine]
    regions: list[ParsedRegion]
    scale: tuple[float, float] = (1.0, 1.0)
    provenance: list[dict] = field(default_factory=list)  # processing steps, see exchange.formats.provenance
    not_kept: NotKept = field(default_factory=NotKept)
    reading_order: str = ""  # where the order came from: "ReadingOrder", "custom index", "document order"
    page_number: int = 1  # position inside a multi-page file


def parse_points(value: str | None, where: str) -> list[list[float]]:
    if not value or not value.strip():
        return []
    parts = [p for p in re.split(r"[\s,]+", value.strip()) if p]
    try:
        numbers = [float(p) for p in parts]
    except ValueError as exc:
        raise InputError(f"{where}: points '{value[:80]}' are not numbers.", code="bad_geometry") from exc
    if not all(math.isfinite(n) and abs(n) <= MAX_COORDINATE for n in numbers):
        raise InputError(f"{where}: points '{value[:80]}' are outside any page.", code="bad_geometry")
    if len(numbers) % 2:
        raise InputError(f"{where}: points '{value[:80]}' have an odd number of coordinates.", code="bad_geometry")
    return [[numbers[i], numbers[i + 1]] for i in range(0, len(numbers), 2)]


def to_float(value: str | None) -> float | None:
    """A number attribute; NaN and infinities count as absent, absurd magnitudes are refused."""
    try:
        number = float(value) if value not in (None, "") else None
    except ValueError:
        return None
    if number is None or not math.isfinite(number):
        return None
    if abs(number) > MAX_COORDINATE:
        raise InputError(f"The number {str(value)[:40]} is outside any page.", code="bad_geometry")
    return number


WHITESPACE = re.compile(r"[\t\r\n\f\v]")


def line_text(raw: str, report: NotKept) -> str:
    """The one whitespace rule of ALTO and PAGE imports: tabs and newlines become spaces, the ends are trimmed.

    Spaces inside a line are kept as they are, so PAGE → export → import and ALTO (one SP
    per space) → export → import give the same text. What is trimmed is reported.
    """
    text = WHITESPACE.sub(" ", raw)
    stripped = text.strip(" ")
    if stripped != raw.strip(" ") or len(stripped) != len(text):
        report.add("lines with tabs, newlines or leading/trailing spaces (normalised)")
    return stripped
