"""Importing the interop fixtures (files shaped as each tool writes them) and reading back what was kept."""
from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import png_bytes
from tests.formats.helpers import FIXTURES

INTEROP = FIXTURES / "interop"


def fixture(name: str) -> bytes:
    return (INTEROP / name).read_bytes()


def api_import(client, files: dict[str, bytes], **fields):
    """POST the files to the collection's XML import; returns the response."""
    uploads = [SimpleUploadedFile(name, data) for name, data in files.items()]
    return client.post("/api/v1/collections/letters/import/xml/", {"files": uploads, **fields}, format="multipart")


def image(width: int = 600, height: int = 400) -> bytes:
    return png_bytes(width, height)


def current(document) -> list:
    """Current inscriptions of the document's lines in page and reading order."""
    from inscription.models import Inscription

    return list(Inscription.objects.filter(document=document, is_current=True, line__isnull=False)
                .select_related("line", "layer", "model_version").order_by("page__order", "line__order", "layer_id"))


def kept(document) -> list[dict]:
    """Everything an import keeps per line, comparable across a round trip."""
    out = []
    for ins in current(document):
        out.append({
            "text": ins.text, "polygon": ins.line.polygon, "baseline": ins.line.baseline, "id": ins.line.external_id,
            "conf": ins.confidence, "words": (ins.extra or {}).get("words"), "alternatives": (ins.extra or {}).get("alternatives"),
            "region_text": (ins.extra or {}).get("region_text", False), "kind": ins.line.kind,
            "region": (ins.line.region.kind, ins.line.region.external_id) if ins.line.region_id else None,
            "tags": sorted(({k: v for k, v in a.extra["transkribus"].items() if k != "inscription"} for a in ins.annotations.all()
                            if "transkribus" in (a.extra or {})), key=lambda t: (t["offset"], t["tag"])),
            "agent": (ins.model_version.name, ins.model_version.version) if ins.model_version_id else ins.created_by.username,
        })
    return out


def regions(document) -> list[tuple]:
    """Every region of the document (with or without lines): type, original id and polygon, in page order."""
    from archive.models import Region

    return list(Region.objects.filter(page__document=document).order_by("page__order", "order", "id")
                .values_list("kind", "external_id", "polygon"))
