"""python manage.py load_demo — a small demo archive, safe to run again (idempotent).

Creates the demo curator account and the public collection "Letters from the archive":
three handwritten-looking scans rendered from the repo's demo texts (with models_ml.synth when
it is importable, else plain Pillow drawing) and three born-digital texts. Everything goes
through the normal ingest service, exactly as an upload would.
"""
from __future__ import annotations

import io
import secrets
import textwrap
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from PIL import Image, ImageDraw, ImageFont

from archive.ingest import Upload
from archive.models import Collection, Document, Membership, Role, Visibility
from archive.services.collections import create_collection
from archive.services.ingest import ingest_upload

DEMO_TEXTS = Path(settings.BASE_DIR) / "data" / "texts" / "demo"
DEMO_FONTS = Path(settings.BASE_DIR) / "data" / "fonts"
SLUG = "letters-from-the-archive"


@dataclass(frozen=True)
class DemoItem:
    file: str
    title: str
    creator: str
    date: str
    year: int


ITEMS = (
    DemoItem("sotu-1790-Washington-1.txt", "First annual address to Congress", "George Washington", "1790-01-08", 1790),
    DemoItem("sotu-1800-Adams-1.txt", "Fourth annual address to Congress", "John Adams", "1800-11-22", 1800),
    DemoItem("austen-persuasion-chapter1-excerpt.txt", "Persuasion, chapter 1 (excerpt)", "Jane Austen", "1817", 1817),
)


def credentials_file() -> Path:
    return Path(settings.VAR_DIR) / "demo_credentials.txt"


def render_scan(text: str, seed: int) -> tuple[bytes, str]:
    """A PNG page in a handwriting font; returns (png, how it was made)."""
    try:
        return _render_with_synth(text, seed), "models_ml.synth"
    except Exception as exc:  # noqa: BLE001 - the ML package is optional for the demo; say why we fell back
        return _render_with_pillow(text, seed), f"Pillow fallback ({type(exc).__name__}: {exc})"


def _render_with_synth(text: str, seed: int) -> bytes:
    import numpy as np

    from models_ml.synth.pages import render_page
    from models_ml.synth.sources import all_fonts, normalise_text

    words = tuple(w for line in text.splitlines() for w in normalise_text(line).split(" ") if w)
    image, _lines = render_page(np.random.default_rng(seed), all_fonts(), words, max_skew=1.5, width=1200, height=1600,
                                max_lines=16)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _render_with_pillow(text: str, seed: int) -> bytes:
    fonts = sorted(p for p in DEMO_FONTS.glob("*") if p.suffix in {".ttf", ".otf", ".woff2"}) if DEMO_FONTS.is_dir() else []
    font = ImageFont.truetype(str(fonts[seed % len(fonts)]), 34) if fonts else ImageFont.load_default(size=30)
    page = Image.new("L", (1200, 1600), 236)
    draw = ImageDraw.Draw(page)
    y = 120
    for line in textwrap.wrap(" ".join(text.split()), width=60)[:22]:
        draw.text((100, y), line, fill=40, font=font)
        y += 62
    buffer = io.BytesIO()
    page.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


class Command(BaseCommand):
    help = "Create the demo curator and the demo collection 'Letters from the archive' (idempotent)."

    def handle(self, *args, **options) -> None:
        curator, password = self._curator()
        collection = Collection.objects.filter(slug=SLUG).first() or create_collection(
            owner=curator, slug=SLUG, title="Letters from the archive", visibility=Visibility.PUBLIC,
            description="Demo collection: handwritten-looking letters rendered from public-domain texts, and the "
                        "born-digital texts themselves.",
        )
        Membership.objects.get_or_create(collection=collection, user=curator, defaults={"role": Role.OWNER})
        for index, item in enumerate(ITEMS):
            text = (DEMO_TEXTS / item.file).read_text(encoding="utf-8")
            metadata = {"creator": item.creator, "date": item.date, "year_from": item.year, "year_to": item.year,
                        "language": "en", "rights": "Public domain", "tags": ["demo"]}
            self._ingest(collection, curator, f"{item.title} (text)", item.file, text.encode("utf-8"), metadata)
            scan_title = f"{item.title} (manuscript)"
            if not Document.objects.filter(collection=collection, title=scan_title).exists():
                png, how = render_scan(text, seed=1000 + index)
                self.stdout.write(f"rendered '{scan_title}' with {how}")
                self._ingest(collection, curator, scan_title, f"{Path(item.file).stem}.png", png,
                             {**metadata, "tags": ["demo", "manuscript"]})
        count = Document.objects.filter(collection=collection).count()
        self.stdout.write(self.style.SUCCESS(f"Demo collection '{collection.slug}': {count} documents."))
        self.stdout.write(f"Demo curator: username 'curator', password '{password}' (saved in {credentials_file()}).")

    def _ingest(self, collection, user, title: str, name: str, data: bytes, metadata: dict) -> None:
        if Document.objects.filter(collection=collection, title=title).exists():
            return
        result = ingest_upload(collection, Upload.from_bytes(name, data), user=user, title=title, metadata=metadata)
        if not result.ok:
            raise RuntimeError(f"demo ingest of {name} failed: {result.error}")

    def _curator(self):
        users = get_user_model()
        path = credentials_file()
        curator = users.objects.filter(username="curator").first()
        if curator and path.exists():
            return curator, path.read_text().split(":", 1)[1].strip()
        password = secrets.token_urlsafe(12)
        if curator is None:
            curator = users.objects.create_user("curator", "curator@example.org", password)
        else:
            curator.set_password(password)
            curator.save(update_fields=["password"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"curator:{password}\n")
        path.chmod(0o600)
        return curator, password
