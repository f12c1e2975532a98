"""Creating and cancelling Jobs. The row is written first; the Celery message is sent after commit.

Why after commit: a worker that receives the message before the row is committed would
not find the job. ``transaction.on_commit`` sends it only once the row is visible.
"""
from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from archive.models import Collection, Document, Page
from inscription.models import Job, JobKind, JobState
from inscription.models.jobs import FINAL_STATES
from inscription.services.job_params import validate_params
from palimpsest.errors import InputError

# Kind → Celery task name. Routing to queues is the one table in settings (CELERY_TASK_ROUTES).
# Other apps register their kinds with ``register_job_task`` (e.g. compare, import, export).
KIND_TASKS: dict[str, str] = {
    JobKind.SEGMENT: "inscription.tasks.segment_document",
    JobKind.TRANSCRIBE: "inscription.tasks.transcribe_document",
    JobKind.SUMMARISE: "inscription.tasks.summarise_document",
    JobKind.TRAIN: "inscription.tasks.train_model",
    JobKind.EVALUATE: "inscription.tasks.evaluate_model",
}


def register_job_task(kind: str, task_name: str) -> None:
    """Let another app say which Celery task runs jobs of ``kind``."""
    KIND_TASKS[kind] = task_name


def enqueue(job: Job, task_name: str | None = None) -> None:
    """Send the job's Celery message once the surrounding transaction commits."""
    from inscription.dispatch import send

    name = task_name or KIND_TASKS.get(job.kind)
    if not name:
        raise InputError(f"No task runs jobs of kind '{job.kind}'.", code="unknown_job_kind")
    task_id = job.celery_task_id or str(uuid.uuid4())
    if (job.celery_task_id, job.task_name) != (task_id, name):
        job.celery_task_id, job.task_name = task_id, name
        Job.objects.filter(pk=job.pk).update(celery_task_id=task_id, task_name=name)
    # The outbox (inscription.dispatch): a message that cannot go out now is sent by a worker's sweep later.
    transaction.on_commit(lambda: send(job.pk, name, task_id))


def create_job(
    kind: str,
    collection: Collection,
    *,
    document: Document | None = None,
    page: Page | None = None,
    params: dict[str, Any] | None = None,
    user: AbstractBaseUser | None = None,
    task_name: str | None = None,
) -> Job:
    """Record a queued Job and enqueue it after commit. Targets must belong to ``collection``."""
    if kind not in JobKind.values:
        raise InputError(f"Unknown job kind '{kind}'.", code="unknown_job_kind", detail={"kinds": JobKind.values})
    if task_name is None and kind not in KIND_TASKS:
        raise InputError(f"No task runs jobs of kind '{kind}' yet.", code="unknown_job_kind")
    if page is not None:
        if document is None:
            document = page.document
        if page.document_id != document.pk:
            raise InputError("The page does not belong to the document.", code="bad_target")
    if document is not None and document.collection_id != collection.pk:
        raise InputError("The document does not belong to the collection.", code="bad_target")
    if params is not None and not isinstance(params, dict):
        raise InputError("Job parameters must be an object.", code="bad_parameters")
    params = validate_params(kind, collection, document, page, params or {})
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
            raise InputError(f"The job is already {locked.state}.", code="job_final", status_code=409)
        locked.cancel_requested = True
        fields = ["cancel_requested"]
        if locked.state == JobState.QUEUED:
            locked.state, locked.finished_at = JobState.CANCELLED, timezone.now()
            locked.progress_message = "cancelled before it started"
            fields += ["state", "finished_at", "progress_message"]
        locked.save(update_fields=fields)
    if locked.parent_id and locked.state in FINAL_STATES:
        from inscription.services.batches import refresh_batch

        refresh_batch(locked.parent_id)
    return locked
