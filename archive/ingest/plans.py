"""What a decoded file turns into, before anything is stored."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass
class PageImage:
    """One page image ready for the blob store: bytes in a browser-displayable format."""

    data: bytes
    ext: str
    mime_type: str
    width: int
    height: int
    original_filename: str


@dataclass
class ScanPlan:
    """A handwritten-scan document: pages are produced lazily so a long PDF is never all in memory."""

    title: str
    source_name: str
    pages: Iterator[PageImage]


@dataclass
class TextPlan:
    """A born-digital text document."""

    title: str
    source_name: str
    content: str
    encoding: str
    sha256: str


@dataclass
class Skipped:
    member: str
    reason: str


@dataclass
class DecodedFile:
    plans: list[ScanPlan | TextPlan] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
