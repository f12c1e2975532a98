"""Creating and cancelling Jobs. The row is written first; the Celery message is sent after commit.

Why after commit: a worker that receives the message before the row is committed would
not find the job. ``transaction.on_commit`` sends it only once the row is visible.
"""
from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import models, transaction

from jobs import kinds
from jobs.errors import JobIsFinal, UnknownJobKind
from jobs.events import job_ended
from jobs.kinds import ParamCheck
from jobs.models import FINAL_STATES, Job, JobState
from palimpsest.errors import InputError


def enqueue(job: Job, task_name: str | None = None) -> None:
    """Send the job's Celery message once the surrounding transaction commits (queue: the kind's, see jobs.kinds)."""
    from jobs.dispatch import send

    spec = kinds.get(job.kind)
    name = task_name or (spec.task if spec else None)
    if not name:
        raise UnknownJobKind(f"No task runs jobs of kind '{job.kind}'.")
    task_id = job.celery_task_id or str(uuid.uuid4())
    if (job.celery_task_id, job.task_name) != (task_id, name):
        job.celery_task_id, job.task_name = task_id, name
        Job.objects.filter(pk=job.pk).update(celery_task_id=task_id, task_name=name)
    # The outbox (jobs.dispatch): a message that cannot go out now is sent by a worker's sweep later.
    transaction.on_commit(lambda: send(job.pk, name, task_id))


def check_job(kind: str, collection: models.Model, document: models.Model | None = None, page: models.Model | None = None,
              params: dict[str, Any] | None = None) -> tuple[models.Model | None, dict[str, Any]]:
    """Check a job request against its kind's entry: (the document, the cleaned parameters) or InputError."""
    spec = kinds.get(kind)
    if spec is None:
        raise UnknownJobKind(f"Unknown job kind '{kind}'.", detail={"kinds": kinds.names()})
    if page is not None:
        if document is None:
            document = page.document
        if page.document_id != document.pk:
            raise InputError("The page does not belong to the document.", code="bad_target")
    if document is not None and document.collection_id != collection.pk:
        raise InputError("The document does not belong to the collection.", code="bad_target")
    if params is not None and not isinstance(params, dict):
        raise InputError("Job parameters must be an object.", code="bad_parameters")
    if spec.target == "document" and document is None:
        raise InputError(f"A {kind} job needs a document.", code="bad_target")
    return document, spec.clean_params(ParamCheck(collection, document, page, dict(params or {})))


def create_job(
    kind: str,
    collection: models.Model,
    *,
    document: models.Model | None = None,
    page: models.Model | None = None,
    params: dict[str, Any] | None = None,
    user: AbstractBaseUser | None = None,
    task_name: str | None = None,
) -> Job:
    """Record a queued Job and enqueue it after commit. Targets must belong to ``collection``."""
    document, params = check_job(kind, collection, document, page, params)
    with transaction.atomic():
        job = Job.objects.create(
            kind=kind,
            collection=collection,
            document=document,
            page=page,
            parameters=params,
            requested_by=user if (user is not None and user.is_authenticated) else None,
            celery_task_id=str(uuid.uuid4()),
        )
        enqueue(job, task_name)
    return job


def request_cancel(job: Job) -> Job:
    """Cooperative cancel: a queued job is cancelled at once, a running one stops at its next check."""
    from django.utils import timezone

    with transaction.atomic():
        locked = Job.objects.select_for_update().get(pk=job.pk)
        if locked.state in FINAL_STATES:
            raise JobIsFinal(f"The job is already {locked.state}.")
        locked.cancel_requested = True
        fields = ["cancel_requested"]
        if locked.state == JobState.QUEUED:
            locked.state, locked.finished_at = JobState.CANCELLED, timezone.now()
            locked.progress_message = "cancelled before it started"
            fields += ["state", "finished_at", "progress_message"]
        locked.save(update_fields=fields)
    if locked.parent_id and locked.state in FINAL_STATES:
        job_ended.send(sender=Job, job_id=locked.pk, parent_id=locked.parent_id)
    return locked
