"""Counting rows and files, so hostile-input tests can prove nothing was half-imported."""
from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"


def row_counts() -> dict[str, int]:
    from archive.models import Document, ImageBlob, Line, Page, Region
    from inscription.models import Inscription, Layer

    return {m.__name__: m.objects.count() for m in (Document, Page, ImageBlob, Region, Line, Layer, Inscription)}


def media_files(settings) -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []
