"""Importing W3C Web Annotation JSON-LD: keep every annotation that can be kept, list the rest with counts.

Why not all or nothing: a file written by another tool (Mirador, Recogito, a IIIF viewer) is
mostly keepable; refusing it whole for one annotation on a resource this archive lacks loses
the rest. What is *invalid* (not JSON-LD of the W3C model: no target, wrong type or context)
still refuses the whole file with a 400 and nothing stored. What is valid but cannot be kept
(a target that is not here, a selector outside the text, a feature not supported) is listed
in ``not_kept``, counted by reason. If nothing at all can be kept, the first reason is the
error, as before.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from archive.models import Document
from inscription.annotations.jsonld import JsonLdError, jsonld_annotations
from inscription.models import Annotation, AnnotationAction
from inscription.services.annotations import create_annotation
from palimpsest.errors import DomainError, InputError

MAX_IMPORT = 1000
# What each reason an annotation was not kept means, in words (the key is the error code).
REASONS = {
    "external_only": "annotations whose every target lies outside this archive (name a document to keep them on)",
    "unknown_target": "annotations on something this archive does not hold or you cannot read",
    "bad_selector": "annotations whose selector does not fit their target",
    "unsupported": "annotations using W3C features not supported here (refinedBy, Composite/List/Independents bodies)",
    "unknown_motivation": "annotations with a motivation outside the W3C vocabulary",
    "targets_in_several_documents": "annotations whose targets lie in several documents",
    "unknown_link": "annotations linking to something that does not exist or you cannot read",
    "permission_denied": "annotations on collections you may not annotate",
    "invalid_annotation": "annotations this archive cannot store as they are (see the example)",
}


@dataclass
class AnnotationImport:
    created: list[Annotation] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)

    def add(self, what: str, count: int = 1, example: str = "") -> None:
        self.counts[what] += count
        if example:
            self.examples.setdefault(what, example)

    def not_kept(self) -> list[dict]:
        return [{"what": what, "count": n, "message": f"{n} {what} not kept",
                 **({"example": self.examples[what]} if what in self.examples else {})}
                for what, n in sorted(self.counts.items())]


def _code(exc: Exception) -> str:
    if isinstance(exc, JsonLdError):
        return exc.code
    if isinstance(exc, DomainError) and exc.status_code == 404:
        return "unknown_target"  # a hidden collection answers as a missing one
    if isinstance(exc, DomainError) and exc.status_code == 403:
        return "permission_denied"
    return exc.code if isinstance(exc, DomainError) else "invalid_annotation"


def import_jsonld(user: AbstractBaseUser, payload: Any, base_url: str, document: Document | None = None) -> AnnotationImport:
    """Import W3C JSON-LD (one Annotation, an AnnotationPage, or a collection with embedded pages).

    ``document``: where annotations whose every target is outside the archive are kept. Returns what was created
    and what was not kept; raises when the input is invalid or nothing could be kept (nothing is stored then)."""
    try:
        items = jsonld_annotations(payload, base_url)
    except JsonLdError as exc:
        raise InputError(f"{exc.path}: {exc.message}" if exc.path else exc.message, code=exc.code,
                         detail={"path": exc.path} if exc.path else None) from exc
    if not items:
        raise InputError("nothing to import: no annotations found", code="invalid_jsonld")
    if len(items) > MAX_IMPORT:
        raise InputError(f"at most {MAX_IMPORT} annotations per import", code="too_many")
    result = AnnotationImport()
    first_error: tuple[int, Exception] | None = None
    with transaction.atomic():
        for i, item in enumerate(items):
            error: Exception | None = item.error
            if error is None:
                try:
                    with transaction.atomic():  # a savepoint: a refused annotation leaves nothing behind
                        extra = {"imported_id": item.imported_id} if item.imported_id else {}
                        result.created.append(create_annotation(user, item.data, action=AnnotationAction.IMPORT,
                                                                extra=extra, document=document))
                except DomainError as exc:
                    error = exc
            if error is not None:
                first_error = first_error or (i, error)
                code = _code(error)
                where = f"annotation {i + 1} of {len(items)}: " if len(items) > 1 else ""
                message = str(error) or code
                result.add(REASONS.get(code, f"annotations that could not be kept ({code})"), 1, where + str(message))
            else:
                for what in item.dropped:
                    result.add(what)
    if not result.created:
        _refuse(first_error, len(items), result)
    return result


def _refuse(first: tuple[int, Exception] | None, total: int, result: AnnotationImport) -> None:
    """Nothing could be kept: the first reason is the error (a 403 stays a 403), with everything not kept listed."""
    assert first is not None
    index, exc = first
    if isinstance(exc, DomainError) and exc.status_code != 400:
        raise exc
    where = f"annotation {index + 1} of {total}: " if total > 1 else ""
    extra = exc.extra if isinstance(exc, DomainError) and isinstance(exc.extra, dict) else {}
    message = f"{exc.path}: {exc.message}" if isinstance(exc, JsonLdError) and exc.path else getattr(exc, "message", str(exc))
    raise InputError(where + message, code=_code(exc), detail={"index": index, **extra, "not_kept": result.not_kept()}) from exc
