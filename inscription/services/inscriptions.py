"""Writing inscriptions: every write adds a version, none overwrites one.

Like Wagtail's revisions: the layer row is locked (``select_for_update``) while a new
version is added, the previous current version is flipped to ``is_current=False`` and
the new one inserted in the same transaction. The database's partial unique constraint
(one current inscription per target per layer) is the last line of defence.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max, Q, QuerySet

from archive.models import Document, Line, Page
from inscription.events import inscriptions_written
from inscription.models import Inscription, InscriptionAction, InscriptionKind, Layer
from jobs.models import Job, ModelVersion
from palimpsest.errors import InputError

MAX_TEXT_CHARS = 200_000


def target_key_of(line: Line | None = None, page: Page | None = None, document: Document | None = None) -> str:
    if line is not None:
        return f"line:{line.pk}"
    if page is not None:
        return f"page:{page.pk}"
    if document is not None:
        return f"document:{document.pk}"
    raise InputError("An inscription needs a target: a line, a page or a document.", code="no_target")


def _resolve_target(layer: Layer, line: Line | None, page: Page | None, document: Document | None) -> tuple:
    """Fill in the page and document of a target and check it lies in the layer's document."""
    if line is not None:
        if page is not None and line.page_id != page.pk:
            raise InputError("The line is not on that page.", code="bad_target")
        page = line.page
    if page is not None:
        if document is not None and page.document_id != document.pk:
            raise InputError("The page is not in that document.", code="bad_target")
        document = page.document
    if document is None:
        document = layer.document
    if document.pk != layer.document_id:
        raise InputError("The target is not in the layer's document.", code="bad_target")
    return line, page, document


def _lock_layer(layer: Layer) -> Layer:
    return Layer.objects.select_for_update().get(pk=layer.pk)


def create_inscription(
    *,
    layer: Layer,
    text: str,
    line: Line | None = None,
    page: Page | None = None,
    document: Document | None = None,
    user: AbstractBaseUser | None = None,
    model_version: ModelVersion | None = None,
    parameters: dict[str, Any] | None = None,
    job: Job | None = None,
    kind: str = InscriptionKind.TRANSCRIPTION,
    action: str | None = None,
    restored_from: Inscription | None = None,
    withdrawn: bool = False,
    confidence: float | None = None,
    char_confidences: list | None = None,
    char_frames: list | None = None,
    char_columns: list | None = None,
    extra: dict[str, Any] | None = None,
) -> Inscription:
    """Add a version of the text of one target in one layer (human when ``user``, machine when ``model_version``)."""
    if not isinstance(text, str):
        raise InputError("The text must be a string.", code="bad_text")
    if len(text) > MAX_TEXT_CHARS:
        raise InputError(f"The text is longer than {MAX_TEXT_CHARS} characters.", code="text_too_long")
    if kind not in InscriptionKind.values:
        raise InputError(f"Unknown inscription kind '{kind}'.", code="bad_kind")
    human = user is not None and user.is_authenticated
    if not human and model_version is None:
        raise InputError("An inscription needs an agent: a person or a model version.", code="no_agent")
    line, page, document = _resolve_target(layer, line, page, document)
    key = target_key_of(line, page, document)
    with transaction.atomic():
        _lock_layer(layer)
        current = Inscription.objects.filter(layer=layer, target_key=key, is_current=True).first()
        latest = _latest_versions(layer, [key]).get(key, 0) if current is not None else 0
        alternative = not human and newer_human_version(current, job)
        if alternative:  # the machine reading is kept beside the person's newer version, not over it
            extra = {**(extra or {}), "alternative_to": current.pk, "why": "a newer human version stays current"}
            current = None
        elif current is not None:
            Inscription.objects.filter(pk=current.pk).update(is_current=False)
        if action is None:
            action = InscriptionAction.WRITE if current is None else InscriptionAction.EDIT
        inscription = Inscription(
            layer=layer,
            kind=kind,
            action=action,
            document=document,
            page=page,
            line=line,
            target_key=key,
            text=text,
            created_by=user if human else None,
            model_version=model_version,
            parameters=parameters or {},
            job=job,
            supersedes=current,
            restored_from=restored_from,
            version=latest + 1,
            is_current=not alternative,
            withdrawn=withdrawn,
            confidence=confidence,
            char_confidences=char_confidences,
            char_frames=char_frames,
            char_columns=char_columns,
            extra=extra or {},
        )
        inscription.save()
        if line is not None and not withdrawn and kind == InscriptionKind.TRANSCRIPTION:
            from archive.models import PageState
            from archive.services.workflow import advance_pages

            # a person's edit puts the page in correction; a machine reading makes it transcribed
            advance_pages([line.page_id], PageState.IN_CORRECTION if human else PageState.TRANSCRIBED,
                          job=job, user=user if human else None)
    return inscription


def restore_inscription(version: Inscription, user: AbstractBaseUser) -> Inscription:
    """Make an earlier version's text current again, as a new version that says where it came from."""
    if version.is_current:
        raise InputError("This version is already the current one.", code="already_current")
    if version.withdrawn:
        raise InputError("A withdrawal cannot be restored; restore a version with text.", code="restore_withdrawal")
    return _new_version_on_target_of(
        version, user, text=version.text, action=InscriptionAction.RESTORE, restored_from=version,
        extra={"restored_version": version.version},
    )


def withdraw_inscription(inscription: Inscription, user: AbstractBaseUser, reason: str = "") -> Inscription:
    """Withdraw the current text of a target: a recorded act (a new version with no text), not a deletion."""
    current = Inscription.objects.filter(layer=inscription.layer_id, target_key=inscription.target_key, is_current=True).first()
    if current is not None and current.withdrawn:
        raise InputError("The text is already withdrawn.", code="already_withdrawn")
    if len(reason or "") > 2000:
        raise InputError("The reason is longer than 2000 characters.", code="reason_too_long")
    return _new_version_on_target_of(
        inscription, user, text="", action=InscriptionAction.WITHDRAW, withdrawn=True, extra={"reason": reason or ""},
    )


def _new_version_on_target_of(inscription: Inscription, user: AbstractBaseUser, **fields) -> Inscription:
    """A human act on the same layer, target and kind as ``inscription`` (restore and withdraw share this)."""
    return create_inscription(
        layer=inscription.layer,
        line=inscription.line,
        page=inscription.page if inscription.line_id is None else None,
        document=inscription.document,
        user=user,
        kind=inscription.kind,
        **fields,
    )


def history(target: Line | Page | Document | Inscription, layer: Layer | None = None) -> QuerySet[Inscription]:
    """All versions of a target (in one layer, or in all), oldest first per layer."""
    if isinstance(target, Inscription):
        key, layer = target.target_key, layer or target.layer
    elif isinstance(target, Line):
        key = f"line:{target.pk}"
    elif isinstance(target, Page):
        key = f"page:{target.pk}"
    else:
        key = f"document:{target.pk}"
    qs = Inscription.objects.filter(target_key=key)
    if layer is not None:
        qs = qs.filter(layer=layer)
    return qs.select_related("layer", "created_by", "model_version").order_by("layer_id", "version")


@dataclass
class LineText:
    """One machine reading of a line, as the recognizer gave it."""

    line: Line
    text: str
    confidence: float | None = None
    char_confidences: list | None = None
    char_frames: list | None = None
    char_columns: list | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def write_page_lines(
    *,
    layer: Layer,
    page: Page,
    readings: Sequence[LineText],
    model_version: ModelVersion | None,
    parameters: dict[str, Any] | None = None,
    job: Job | None = None,
    user: AbstractBaseUser | None = None,
) -> list[Inscription] | None:
    """Write all line inscriptions of one page in ONE transaction; None if this job already wrote the page."""
    written = write_pages_lines(layer=layer, pages=[(page, readings)], model_version=model_version,
                                parameters=parameters, job=job, user=user)
    return written[page.pk]


def write_pages_lines(
    *,
    layer: Layer,
    pages: Sequence[tuple[Page, Sequence[LineText]]],
    model_version: ModelVersion | None,
    parameters: dict[str, Any] | None = None,
    job: Job | None = None,
    user: AbstractBaseUser | None = None,
) -> dict[int, list[Inscription] | None]:
    """Write the line inscriptions of several pages of one layer in ONE transaction.

    Returns the new versions per page id, None for a page this job already wrote. The layer
    lock makes the "already written by this job?" check and the write atomic, so a redelivered
    task never writes a page twice and a cancel or crash never leaves half a page. A whole
    batch of pages costs a handful of round trips (lock, look-up, flip, insert), not a handful
    per page: a job's writes stay small beside the recognizer's compute.
    """
    for page, readings in pages:
        if layer.document_id != page.document_id:
            raise InputError("The page is not in the layer's document.", code="bad_target")
        if any(r.line.page_id != page.pk for r in readings):
            raise InputError("A line is not on that page.", code="bad_target")
    keys = {page.pk: [f"line:{r.line.pk}" for r in readings] for page, readings in pages}
    with transaction.atomic(savepoint=False):  # inside a caller's transaction: no savepoint round trip
        _lock_layer(layer)
        # One query for both questions: which pages did this job already write, which versions are current?
        query = Q(layer=layer, target_key__in=[k for page_keys in keys.values() for k in page_keys], is_current=True)
        if job is not None:
            query |= Q(layer=layer, job=job, page__in=list(keys), line__isnull=False)
        found = list(Inscription.objects.filter(query).only("id", "target_key", "version", "job_id", "page_id",
                                                            "is_current", "model_version_id", "created_at"))
        already = {i.page_id for i in found if job is not None and i.job_id == job.pk}
        currents = {i.target_key: i for i in found if i.is_current and i.page_id not in already}
        # Optimistic concurrency: a person who wrote a line after the job was requested wins; the
        # machine reading is kept beside it as an alternative version, never made current over it.
        humans = {k: i for k, i in currents.items() if newer_human_version(i, job)}
        for key in humans:
            del currents[key]
        latest = _latest_versions(layer, [k for page_keys in keys.values() for k in page_keys]) if found else {}
        if currents:
            Inscription.objects.filter(pk__in=[i.pk for i in currents.values()]).update(is_current=False)
        rows: list[Inscription] = []
        for page, readings in pages:
            if page.pk in already:
                continue
            for key, reading in zip(keys[page.pk], readings, strict=True):
                current = currents.get(key)
                human = humans.get(key)
                extra = reading.extra if human is None else {**reading.extra, "alternative_to": human.pk,
                                                               "why": "a newer human version stays current"}
                rows.append(
                    Inscription(
                        layer=layer,
                        kind=InscriptionKind.TRANSCRIPTION,
                        action=InscriptionAction.WRITE if current is None else InscriptionAction.EDIT,
                        document_id=page.document_id,
                        page=page,
                        line=reading.line,
                        target_key=key,
                        text=reading.text,
                        created_by=user,
                        model_version=model_version,
                        parameters=parameters or {},
                        job=job,
                        supersedes=current,
                        version=latest.get(key, 0) + 1,
                        is_current=human is None,
                        confidence=reading.confidence,
                        char_confidences=reading.char_confidences,
                        char_frames=reading.char_frames,
                        char_columns=reading.char_columns,
                        extra=extra,
                    )
                )
        created = Inscription.objects.bulk_create(rows) if rows else []
        if created:
            # bulk_create sends no post_save: derived data (the search index) is told here, in the same transaction.
            inscriptions_written.send(sender=Inscription, inscriptions=created)
            from archive.models import PageState
            from archive.services.workflow import advance_pages

            advance_pages({i.page_id for i in created}, PageState.TRANSCRIBED, job=job, user=user)
        if currents:
            # bulk_create sends no post_save: re-anchor annotations on the superseded readings here.
            from inscription.services.annotation_anchoring import reanchor_new_versions

            reanchor_new_versions(created)
    written: dict[int, list[Inscription] | None] = {page.pk: (None if page.pk in already else []) for page, _ in pages}
    for inscription in created:
        written[inscription.page_id].append(inscription)
    return written


def newer_human_version(current: Inscription | None, job: Job | None) -> bool:
    """True when ``current`` is a person's version written after ``job`` was requested (the job must not bury it)."""
    return (job is not None and current is not None and current.model_version_id is None
            and job.created_at is not None and current.created_at >= job.created_at)


def _latest_versions(layer: Layer, keys: list[str]) -> dict[str, int]:
    """Highest version per target key (alternative versions are not current, so the current one may not be the latest)."""
    rows = (Inscription.objects.filter(layer=layer, target_key__in=keys).values("target_key")
            .annotate(top=Max("version")).values_list("target_key", "top"))
    return dict(rows)


def current_texts(layer: Layer, lines: Iterable[Line]) -> dict[int, str]:
    """Current, not withdrawn text per line id in a layer (for training and exports)."""
    keys = [f"line:{line.pk}" for line in lines]
    qs = Inscription.objects.filter(layer=layer, target_key__in=keys, is_current=True, withdrawn=False)
    return {i.line_id: i.text for i in qs}
