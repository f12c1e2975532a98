"""Writing annotations: every act appends an AnnotationVersion; nothing is overwritten or deleted.

Rules checked here (not in views): structure and vocabulary (``annotations.selectors``),
selectors inside the inscription text / page image / frame range, all targets in one
document, links only to things the user can read, curator rights on the collection.
Re-anchoring after a new inscription version lives in ``annotation_anchoring``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction

from archive.models import Document, Line, Page, Tag
from archive.permissions import READ, WRITE, can, require
from inscription.annotations import selectors as sel
from inscription.models import Annotation, AnnotationAction, AnnotationVersion, Inscription, Motivation
from inscription.services import versioning
from palimpsest.errors import InputError

MOTIVATIONS = tuple(Motivation.values)


@dataclass
class Prepared:
    """Normalised annotation JSON plus what it points at."""

    data: dict
    document: Document
    page: Page | None = None
    line: Line | None = None
    inscriptions: list[Inscription] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)


def _bad(message: str, code: str = "invalid_annotation", path: str = "") -> InputError:
    return InputError(f"{path}: {message}" if path else message, code=code, detail={"path": path} if path else None)


def frame_count(inscription: Inscription) -> int | None:
    recorded = (inscription.extra or {}).get("frames") if inscription.char_frames is not None else None
    if isinstance(recorded, int) and recorded > 0:  # the whole reading, not just up to its last character
        return recorded
    frames = inscription.char_frames or []
    ends = [int(f[1]) for f in frames if isinstance(f, (list, tuple)) and len(f) == 2]
    return max(ends) if ends else None


def _load_target(kind: str, pk: int) -> Any:
    if kind == "inscription":
        return Inscription.objects.select_related("document__collection", "line", "page").filter(pk=pk).first()
    if kind == "line":
        return Line.objects.select_related("page__document__collection").filter(pk=pk).first()
    if kind == "page":
        return Page.objects.select_related("document__collection").filter(pk=pk).first()
    return Document.objects.select_related("collection").filter(pk=pk).first()


def _document_of(kind: str, obj: Any) -> Document:
    return {"inscription": lambda: obj.document, "line": lambda: obj.page.document, "page": lambda: obj.document,
            "document": lambda: obj}[kind]()


def _target_info(kind: str, obj: Any) -> sel.TargetInfo:
    if kind == "inscription":
        return sel.TargetInfo("inscription", text=obj.text, frame_count=frame_count(obj))
    if kind == "page":
        return sel.TargetInfo("page", width=obj.width, height=obj.height)
    return sel.TargetInfo(kind)


def check_link(user: AbstractBaseUser | AnonymousUser, source: str, path: str) -> None:
    """Internal link bodies must point at something that exists and the user can read."""
    if source.startswith(("http://", "https://")):
        return
    from inscription.services.references import resolve_readable

    if resolve_readable(user, source) is None:
        raise _bad(f"{source} does not exist or you cannot read it", "unknown_link", path)


def prepare(user: AbstractBaseUser | AnonymousUser, data: Any, document: Document | None = None) -> Prepared:
    """Validate and normalise annotation JSON for ``user``; raise InputError (400), NotFound or PermissionDenied.

    Targets outside the archive are kept as given; an annotation whose every target is outside lives on
    ``document`` (without one it cannot be kept: ``external_only``)."""
    try:
        sel.check_structure(data, MOTIVATIONS)
    except sel.SelectorError as exc:
        code = "unknown_motivation" if exc.path == "motivation" else "invalid_annotation"
        raise _bad(exc.message, code, exc.path) from exc
    out = {"motivation": data.get("motivation", Motivation.COMMENTING), "body": [], "target": []}
    documents: dict[int, Document] = {}
    first: tuple[str, Any] | None = None
    inscriptions: list[Inscription] = []
    for i, target in enumerate(data["target"]):
        path = f"target[{i}]"
        if sel.is_external(target):
            out["target"].append(dict(target))
            continue
        kind, pk = sel.parse_ref(target["source"])
        obj = _load_target(kind, pk)
        document = _document_of(kind, obj) if obj is not None else None
        if obj is None or not can(user, document.collection, READ):
            raise _bad(f"{target['source']} does not exist or you cannot read it", "unknown_target", f"{path}.source")
        try:
            selectors = sel.normalise_selectors(target.get("selector", []), _target_info(kind, obj), f"{path}.selector")
        except sel.SelectorError as exc:
            raise _bad(exc.message, "bad_selector", exc.path) from exc
        documents[document.pk] = document
        first = first or (kind, obj)
        if kind == "inscription" and obj not in inscriptions:
            inscriptions.append(obj)
        out["target"].append({"source": target["source"], **({"selector": selectors} if selectors else {})})
    if len(documents) > 1:
        raise _bad("all targets of an annotation lie in one document", "targets_in_several_documents", "target")
    if not documents and document is None:
        raise _bad("every target lies outside this archive; name the document to keep the annotation on",
                   "external_only", "target")
    if documents:
        document = next(iter(documents.values()))
    elif not can(user, document.collection, READ):
        raise _bad(f"document {document.pk} does not exist or you cannot read it", "unknown_target", "document")
    require(user, document.collection, WRITE)
    tags = []
    for i, body in enumerate(data.get("body", [])):
        body = dict(body)
        if body["type"] == "TextualBody":
            body.setdefault("format", "text/plain")
            if body.get("purpose") == "tagging":
                body["value"] = body["value"].strip()
                tags.append(body["value"])
        else:
            check_link(user, body["source"], f"body[{i}].source")
        out["body"].append(body)
    kind, obj = first or ("external", None)
    page = line = None
    if kind == "inscription":
        line, page = obj.line, obj.page or (obj.line.page if obj.line_id else None)
    elif kind == "line":
        line, page = obj, obj.page
    elif kind == "page":
        page = obj
    return Prepared(out, document, page, line, inscriptions, tags)


def _apply(annotation: Annotation, prepared: Prepared) -> None:
    annotation.collection_id = prepared.document.collection_id
    annotation.document = prepared.document
    annotation.page = prepared.page
    annotation.line = prepared.line
    annotation.motivation = prepared.data["motivation"]
    annotation.body = prepared.data["body"]
    annotation.target = prepared.data["target"]


def _index(annotation: Annotation, inscriptions: list[Inscription] | None = None, tags: list[str] | None = None) -> None:
    """Refresh the M2M indexes (current inscriptions and tags) from the current version."""
    if inscriptions is not None:
        annotation.inscriptions.set(inscriptions)
    if tags is not None:
        annotation.tags.set([Tag.objects.get_or_create(name=name)[0] for name in dict.fromkeys(tags)])


def record_version(annotation: Annotation, action: str, user: AbstractBaseUser | None, note: dict | None = None) -> AnnotationVersion:
    return AnnotationVersion.objects.create(
        annotation=annotation, version=annotation.version, action=action, motivation=annotation.motivation,
        body=annotation.body, target=annotation.target, orphaned=annotation.orphaned, withdrawn=annotation.withdrawn,
        created_by=user if user is not None and user.is_authenticated else None, note=note or {},
    )


def create_annotation(user: AbstractBaseUser, data: Any, *, action: str = AnnotationAction.CREATE,
                      extra: dict | None = None, document: Document | None = None) -> Annotation:
    """Create an annotation (version 1) from the platform JSON (``document``: the home of one whose every target
    lies outside the archive)."""
    prepared = prepare(user, data, document)
    with transaction.atomic():
        annotation = Annotation(created_by=user, extra=extra or {})
        _apply(annotation, prepared)
        annotation.save()
        _index(annotation, prepared.inscriptions, prepared.tags)
        record_version(annotation, action, user, note=extra)
    return annotation


def edit_annotation(annotation: Annotation, user: AbstractBaseUser, changes: Any) -> Annotation:
    """A new version with ``changes`` (any of motivation, body, target) applied over the current one."""
    if not isinstance(changes, dict):
        raise _bad("an edit is a JSON object with motivation, body and/or target")
    unknown = set(changes) - {"motivation", "body", "target"}
    if unknown:
        raise _bad(f"only motivation, body and target can be edited, not {', '.join(sorted(unknown))}")
    require(user, annotation.collection, WRITE)
    merged = {"motivation": annotation.motivation, "body": annotation.body, "target": annotation.target} | changes
    prepared = prepare(user, merged, annotation.document)
    if prepared.document.collection_id != annotation.collection_id:
        raise _bad("an annotation stays in its collection", "bad_target", "target")
    with transaction.atomic():
        locked = versioning.lock(annotation)
        versioning.refuse_withdrawn(locked, "annotation", "edited")
        _apply(locked, prepared)
        if "target" in changes:
            locked.orphaned = False  # the curator placed it again
        locked.bump()
        locked.save()
        _index(locked, prepared.inscriptions, prepared.tags)
        record_version(locked, AnnotationAction.EDIT, user)
    return locked


def withdraw_annotation(annotation: Annotation, user: AbstractBaseUser, reason: str = "") -> Annotation:
    """Withdrawal is a recorded act: a new version saying so; the content and history stay."""
    require(user, annotation.collection, WRITE)
    if len(reason or "") > 2000:
        raise _bad("the reason is longer than 2000 characters")
    with transaction.atomic():
        locked = versioning.withdraw(versioning.lock(annotation), "annotation")
        record_version(locked, AnnotationAction.WITHDRAW, user, note={"reason": reason or ""})
    return locked
