"""Batch jobs: one parent Job over many documents, one child Job per document doing the work.

Why a parent row without a task: the curator wants one progress bar, one cancel and one
place to read the results per document, while each document still runs (and can fail,
be retried or cancelled) on its own, exactly like a job started from its page. The
parent's state and progress are sums of its children's, refreshed whenever a child ends
(``jobs.runner`` calls ``refresh_batch``) and whenever someone reads it.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from archive.models import Collection, Document, DocumentKind
from inscription.models import Layer, LayerKind
from jobs.models import FINAL_STATES, Job, JobKind, JobState
from jobs.services.jobs import create_job, request_cancel
from palimpsest.errors import InputError
from palimpsest.ids import ID_MAX

BATCH_KINDS = (JobKind.SEGMENT, JobKind.TRANSCRIBE, JobKind.SUMMARISE, JobKind.TRAIN)
MAX_BATCH_DOCUMENTS = 2000


def _documents(collection: Collection, kind: str, documents: Sequence[Document | int] | None) -> list[Document]:
    qs = Document.objects.filter(collection=collection)
    if documents is None:
        if kind != JobKind.SUMMARISE:
            qs = qs.filter(kind=DocumentKind.SCAN)
        return list(qs.order_by("title", "id"))
    ids = []
    for d in documents:
        pk = d.pk if isinstance(d, Document) else d
        if isinstance(pk, bool) or not isinstance(pk, int | str) or not str(pk).isdigit() or int(pk) > ID_MAX:
            raise InputError("'documents' must be a list of document ids.", code="bad_parameters")
        ids.append(int(pk))
    ids = list(dict.fromkeys(ids))
    found = {d.pk: d for d in qs.filter(pk__in=ids)}
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise InputError(f"Not documents of this collection: {', '.join(map(str, missing[:10]))}.", code="bad_target",
                         detail={"documents": missing})
    return [found[pk] for pk in ids]


def _child_params(kind: str, document: Document, params: dict[str, Any]) -> dict[str, Any] | None:
    """Per-document parameters; None when the document cannot take this kind (it is reported as skipped)."""
    child = {k: v for k, v in params.items() if k not in ("layer", "documents", "batch")}
    if kind == JobKind.TRAIN:
        layer = Layer.objects.filter(document=document, kind=LayerKind.GROUND_TRUTH).order_by("-created_at", "-id").first()
        if layer is None:
            return None
        child["layer"] = layer.pk
    if kind in (JobKind.SEGMENT, JobKind.TRANSCRIBE) and not document.pages.exists():
        return None
    return child


def start_batch(kind: str, collection: Collection, *, user: AbstractBaseUser | None,
                documents: Sequence[Document | int] | None = None, params: dict[str, Any] | None = None) -> Job:
    """Queue one child job per document (all scan documents of the collection when ``documents`` is None)."""
    if kind not in BATCH_KINDS:
        raise InputError(f"A batch runs one of {', '.join(BATCH_KINDS)}, not '{kind}'.", code="bad_kind")
    if params is not None and not isinstance(params, dict):
        raise InputError("Job parameters must be an object.", code="bad_parameters")
    params = dict(params or {})
    if kind == JobKind.TRANSCRIBE and params.get("model") in (None, "") and collection.default_model_id:
        params["model"] = collection.default_model_id
    docs = _documents(collection, kind, documents)
    if not docs:
        raise InputError("There is no document to run this batch on.", code="empty_batch")
    if len(docs) > MAX_BATCH_DOCUMENTS:
        raise InputError(f"A batch takes at most {MAX_BATCH_DOCUMENTS} documents.", code="batch_too_large")
    who = user if (user is not None and user.is_authenticated) else None
    with transaction.atomic():
        parent = Job.objects.create(
            kind=kind, collection=collection, requested_by=who, task_name="",
            parameters={"batch": True, "documents": [d.pk for d in docs], **params},
            progress_total=0, progress_message=f"{len(docs)} document{'s' if len(docs) != 1 else ''} queued",
        )
        skipped = []
        for doc in docs:
            child_params = _child_params(kind, doc, params)
            if child_params is None:
                skipped.append({"document": doc.pk, "title": doc.title,
                                "reason": "no corrected layer" if kind == JobKind.TRAIN else "no pages"})
                continue
            child = create_job(kind, collection, document=doc, params=child_params, user=user)
            Job.objects.filter(pk=child.pk).update(parent=parent)
        n = len(docs) - len(skipped)
        if n == 0:
            raise InputError("None of these documents can take this job: " +
                             "; ".join(f"{s['title']} ({s['reason']})" for s in skipped[:10]), code="empty_batch")
        Job.objects.filter(pk=parent.pk).update(progress_total=n, result={"skipped": skipped})
    parent.refresh_from_db()
    return parent


def children(parent: Job):  # noqa: ANN201 - a QuerySet of Job
    return parent.children.select_related("document").order_by("document__title", "id")


def refresh_batch(parent: Job | int) -> Job:
    """Sum the children up into the parent: progress, state, and results per document."""
    pk = parent.pk if isinstance(parent, Job) else parent
    with transaction.atomic():
        locked = Job.objects.select_for_update().get(pk=pk)
        kids = list(locked.children.select_related("document").order_by("document__title", "id"))
        if not kids:
            return locked
        states = [k.state for k in kids]
        finished = sum(s in FINAL_STATES for s in states)
        per_document = [
            {"document": k.document_id, "title": k.document.title if k.document else "", "job": k.pk, "state": k.state,
             "progress": k.progress_percent, "result": k.result or {}, "error": (k.error or "")[:300]}
            for k in kids
        ]
        counts = {s: states.count(s) for s in JobState.values}
        result = {**(locked.result or {}), "documents": per_document, "counts": counts}
        fields: dict[str, Any] = {"progress_done": finished, "progress_total": len(kids), "result": result}
        if finished == len(kids):
            if counts[JobState.SUCCEEDED] == len(kids):
                state = JobState.SUCCEEDED
            elif counts[JobState.FAILED]:
                state = JobState.FAILED
            else:
                state = JobState.CANCELLED
            fields.update(state=state, finished_at=locked.finished_at or timezone.now(),
                          progress_message=f"{counts[JobState.SUCCEEDED]} of {len(kids)} documents succeeded"
                          + (f", {counts[JobState.FAILED]} failed" if counts[JobState.FAILED] else "")
                          + (f", {counts[JobState.CANCELLED]} cancelled" if counts[JobState.CANCELLED] else ""))
            if state == JobState.FAILED:
                fields["error"] = "\n".join(f"{d['title']}: {d['error'].splitlines()[0] if d['error'] else 'failed'}"
                                            for d in per_document if d["state"] == JobState.FAILED)
        else:
            running = any(s != JobState.QUEUED for s in states)
            fields.update(state=JobState.RUNNING if running else JobState.QUEUED,
                          progress_message=f"{finished} of {len(kids)} documents done")
            if running and locked.started_at is None:
                fields["started_at"] = timezone.now()
        if locked.state in FINAL_STATES:  # a final parent stays final (its children are final too)
            fields.pop("state", None)
        Job.objects.filter(pk=pk).update(**fields)
        for key, value in fields.items():
            setattr(locked, key, value)
    return locked


def cancel_batch(parent: Job) -> Job:
    """Cancel every child that is not final yet (queued ones at once, running ones at their next check)."""
    if not parent.is_batch:
        return request_cancel(parent)
    if parent.state in FINAL_STATES:
        raise InputError(f"The batch is already {parent.state}.", code="job_final", status_code=409)
    Job.objects.filter(pk=parent.pk).update(cancel_requested=True)
    for child in parent.children.exclude(state__in=FINAL_STATES).exclude(cancel_requested=True):
        try:
            request_cancel(child)
        except InputError:
            pass  # it finished meanwhile
    return refresh_batch(parent)


def batch_percent(parent: Job) -> int:
    """A smoother figure than finished/total: the mean of the children's own progress."""
    kids = list(parent.children.only("state", "progress_done", "progress_total"))
    if not kids:
        return parent.progress_percent
    return int(sum(k.progress_percent for k in kids) / len(kids))
