"""Stable references ("annotation:12", "document:7", ...) resolved with the reader's rights.

Used by annotation link bodies and reflection citations: one place decides what a
reference points at, which collection guards it, and whether a user may read it.
Model versions belong to no collection: the registry is readable by everyone.
"""
from __future__ import annotations

import re
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Model

from archive.models import Collection, Document, Line, Page
from archive.permissions import READ, can

REF = re.compile(r"^([a-z]+):([0-9]+)$")


def _models() -> dict[str, type[Model]]:
    from inscription.models import Annotation, Comparison, Inscription, Reflection
    from jobs.models import ModelVersion

    return {"annotation": Annotation, "comparison": Comparison, "inscription": Inscription, "document": Document,
            "model": ModelVersion, "reflection": Reflection, "page": Page, "line": Line}


def collection_of(kind: str, obj: Any) -> Collection | None:
    if kind == "model":
        return None
    if kind == "line":
        return obj.page.document.collection
    if kind in ("page", "inscription"):
        return obj.document.collection
    if kind == "document":
        return obj.collection
    return obj.collection  # annotation, comparison, reflection


def resolve(ref: str) -> tuple[str, Any] | None:
    match = REF.match(ref or "")
    if not match or match.group(1) not in _models():
        return None
    kind = match.group(1)
    obj = _models()[kind].objects.filter(pk=int(match.group(2))).first()
    return (kind, obj) if obj is not None else None


def resolve_readable(user: AbstractBaseUser | AnonymousUser, ref: str) -> Any | None:
    """The object behind ``ref`` when it exists and ``user`` may read it, else None (no difference revealed)."""
    found = resolve(ref)
    if found is None:
        return None
    kind, obj = found
    collection = collection_of(kind, obj)
    if collection is not None and not can(user, collection, READ):
        return None
    return obj
