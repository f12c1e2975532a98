"""Builders for holdings used by the inscription and job tests (plain ORM, no services of other apps)."""
from __future__ import annotations

import hashlib
import io

from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image


def make_blob(image: Image.Image):
    from archive.models import ImageBlob

    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    data = buffer.getvalue()
    sha = hashlib.sha256(data).hexdigest()
    blob = ImageBlob.objects.filter(sha256=sha).first()
    if blob is None:
        blob = ImageBlob(sha256=sha, mime_type="image/png", size=len(data), width=image.width, height=image.height)
        blob.file.save(f"{sha}.png", ContentFile(data), save=False)
        blob.save()
    return blob


def make_page(document, image: Image.Image | None = None, order: int = 0):
    from archive.models import Page

    image = image or Image.new("L", (400, 120), 255)
    blob = make_blob(image)
    return Page.objects.create(document=document, order=order, image=blob, width=image.width, height=image.height)


def make_lines(page, n: int = 3, height: int = 30):
    from archive.models import GeometrySource, Line

    lines = []
    for i in range(n):
        y0 = i * height
        polygon = [[0, y0], [page.width, y0], [page.width, y0 + height], [0, y0 + height]]
        lines.append(Line.objects.create(page=page, polygon=polygon, baseline=[[0, y0 + height - 5], [page.width, y0 + height - 5]],
                                         order=i, source=GeometrySource.HUMAN))
    return lines


def fake_model_version(name: str = "htr-test", version: str = "1.0", sha: str = "a" * 64):
    from jobs.models import ModelVersion

    return ModelVersion.objects.create(name=name, version=version, task="htr", path="", sha256=sha, created_at=timezone.now())
