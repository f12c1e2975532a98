"""Documents and born-digital texts: metadata writes, tags by name, and guarded deletes."""
from __future__ import annotations

import hashlib
from typing import Any

from django.db import transaction
from django.db.models import Model, ProtectedError

from archive.models import Document, Tag, Text
from palimpsest.errors import InputError


def _set_tags(document: Document, names: list[str] | None) -> None:
    if names is None:
        return
    clean = sorted({n.strip() for n in names if n and n.strip()})
    document.tags.set([Tag.objects.get_or_create(name=name)[0] for name in clean])


@transaction.atomic
def create_document(*, user, tags: list[str] | None = None, **fields: Any) -> Document:
    document = Document.objects.create(created_by=user, **fields)
    _set_tags(document, tags)
    return document


@transaction.atomic
def update_document(document: Document, *, tags: list[str] | None = None, **fields: Any) -> Document:
    for key, value in fields.items():
        setattr(document, key, value)
    document.full_clean(exclude=["collection", "created_by"], validate_unique=False)
    document.save()
    _set_tags(document, tags)
    return document


def delete_guarded(obj: Model) -> None:
    """Delete, or 409 when inscriptions or layers still point at it (they are never deleted)."""
    try:
        with transaction.atomic():
            obj.delete()
    except ProtectedError as exc:
        raise InputError(
            f"This {obj._meta.verbose_name} carries inscriptions or layers, which are never deleted.",
            code="protected",
            status_code=409,
            detail={"protected_objects": len(exc.protected_objects)},
        ) from exc


@transaction.atomic
def set_text(document: Document, content: str, *, original_filename: str = "") -> Text:
    """Create or replace the source text of a born-digital document (stored as UTF-8)."""
    if document.kind != "text":
        raise InputError("Only born-digital text documents hold a text.", code="not_a_text_document")
    sha256 = hashlib.sha256(content.encode("utf-8")).hexdigest()
    text, _ = Text.objects.update_or_create(
        document=document,
        defaults={"content": content, "encoding": "utf-8", "sha256": sha256, **({"original_filename": original_filename}
                                                                                 if original_filename else {})},
    )
    return text
