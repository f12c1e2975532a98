"""Heavy ingests as io-queue jobs: the upload is staged, a job of kind ``ingest`` decodes it with progress.

Why: decoding a 1,000-page PDF, a many-frame TIFF or a large zip took minutes in one web thread.
Uploads over the thresholds in ``archive.ingest.heavy`` (``INGEST_SYNC_MAX_PAGES``, ``..._BYTES``,
``..._PIXELS``) are stored as they came and the request answers 202 with the job; smaller ones are
still ingested in the request (``ingest_or_queue``).

The job runs ``ingest_upload`` per file, exactly as the request would: files decoded and stored
first, then one short transaction per file. That transaction also records the file's result on
the Job row, so a worker killed at any point leaves either all of a file's documents or none, and
the next delivery resumes after the last recorded file (a file half-decoded is decoded again; its
blob files are content-addressed, so nothing is stored twice). A file that turns out to be bad
stores nothing; when every file of the job is bad, the job fails with the decoder's error.
"""
from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from archive.ingest import heavy
from archive.ingest.limits import PixelBudget
from archive.ingest.sources import Upload
from archive.models import Collection, Document
from archive.services.ingest import METADATA_FIELDS, FileResult, ingest_upload, ingest_uploads
from jobs.kinds import ParamCheck
from jobs.models import Job
from jobs.services.jobs import create_job
from palimpsest.errors import InputError

log = logging.getLogger(__name__)
INGEST_KIND = "ingest"


def ingest_or_queue(
    collection: Collection,
    uploads: list[Upload],
    *,
    user: AbstractBaseUser | None,
    title: str | None = None,
    metadata: dict[str, Any] | None = None,
    document: Document | None = None,
) -> list[FileResult] | Job:
    """Ingest now (per-file results) when every upload is light, else stage them all and return the queued job."""
    weights = [heavy.weigh(upload) for upload in uploads]
    if not heavy.is_heavy(weights):
        return ingest_uploads(collection, uploads, user=user, title=title, metadata=metadata, document=document)
    return queue_ingest(collection, uploads, [w.pages for w in weights], user=user, title=title, metadata=metadata,
                        document=document)


def queue_ingest(
    collection: Collection,
    uploads: list[Upload],
    pages: list[int],
    *,
    user: AbstractBaseUser | None,
    title: str | None = None,
    metadata: dict[str, Any] | None = None,
    document: Document | None = None,
) -> Job:
    """Store the uploads as they came, then queue one ingest job over them (the staged files go if it cannot be)."""
    staged: list[str] = []
    try:
        files = []
        for upload, count in zip(uploads, pages, strict=True):
            staged.append(heavy.stage(upload))
            files.append({"staged": staged[-1], "name": upload.name[:500], "pages": max(1, int(count))})
        params = {"files": files, "title": title if len(uploads) == 1 else None, "metadata": metadata or {}}
        return create_job(INGEST_KIND, collection, document=document, params=params, user=user)
    except BaseException:
        heavy.discard(staged)
        raise


def clean_ingest(check: ParamCheck) -> dict[str, Any]:
    """The kind's parameter check: only files this app staged, plain metadata (a POST /jobs/ gets no further)."""
    params = check.params
    files = params.get("files")
    if not isinstance(files, list) or not files or len(files) > 1000:
        raise InputError("An ingest job needs the files its upload staged.", code="bad_parameters")
    clean_files = []
    for item in files:
        if not isinstance(item, dict) or not heavy.is_staged_name(item.get("staged")) or not isinstance(item.get("name"), str):
            raise InputError("An ingest job needs the files its upload staged.", code="bad_parameters")
        pages = item.get("pages")
        clean_files.append({"staged": item["staged"], "name": item["name"][:500],
                            "pages": pages if isinstance(pages, int) and 0 < pages < 10**6 else 1})
    metadata = params.get("metadata") or {}
    title = params.get("title")
    if not isinstance(metadata, dict) or (title is not None and not isinstance(title, str)):
        raise InputError("An ingest job's metadata must be an object and its title a string.", code="bad_parameters")
    keep = {k: v for k, v in metadata.items() if k in METADATA_FIELDS or k == "tags"}
    return {"files": clean_files, "title": title, "metadata": keep}


def run_ingest_job(run) -> dict[str, Any]:
    """The body of ``archive.tasks.ingest_files`` (``run`` is the runner's ``JobRun``)."""
    from jobs.runner import TRANSIENT_ERRORS, JobLeaseLost

    job: Job = run.job
    files: list[dict[str, Any]] = run.params["files"]
    done: list[dict[str, Any]] = list((job.result or {}).get("results") or [])  # recorded with their rows
    total = sum(f["pages"] for f in files)
    counter = [sum(f["pages"] for f in files[: len(done)])]
    run.progress(counter[0], total=total, message=f"file {len(done) + 1} of {len(files)}")
    collection = Collection.objects.get(pk=job.collection_id)
    into = Document.objects.filter(pk=job.document_id).first() if job.document_id else None
    if job.document_id and into is None:
        raise InputError("The document the pages were to be added to no longer exists.", code="bad_document")
    user = job.requested_by
    budget = PixelBudget()  # the request's MAX_DECODED_PIXELS, shared by all its files as in the request path

    def step(n: int) -> None:
        run.check_cancelled()
        counter[0] += n
        run.progress(min(counter[0], max(total, counter[0])), total=max(total, counter[0]))

    try:
        for index, item in enumerate(files):
            if index < len(done):
                continue
            run.check_cancelled()
            run.progress(message=f"file {index + 1} of {len(files)}: {item['name']}"[:500])
            if not _staged_exists(item["staged"]):
                result = FileResult(file=item["name"], status="error", http_status=410,
                                    error={"code": "upload_gone", "message": f"The staged upload of '{item['name']}' is gone."})
            else:
                def record(result: FileResult, _done=done) -> None:
                    Job.objects.filter(pk=job.pk).update(result={"results": [*_done, result.as_dict()]})

                result = ingest_upload(collection, heavy.staged_upload(item["staged"], item["name"]), user=user,
                                       title=run.params.get("title"), metadata=run.params.get("metadata") or {},
                                       document=into, progress=step, within=record, budget=budget)
            done.append(result.as_dict())
            if not result.ok:  # nothing of it was stored; remember the failure so a redelivery does not redo it
                Job.objects.filter(pk=job.pk).update(result={"results": list(done)})
            heavy.discard([item["staged"]])
            counter[0] = sum(f["pages"] for f in files[: index + 1])
            run.progress(counter[0])
    except (*TRANSIENT_ERRORS, JobLeaseLost):
        raise  # retried, or another worker took the job over: the staged files are still needed
    except BaseException:
        heavy.discard([f["staged"] for f in files[len(done):]])
        raise
    failed = [r for r in done if r["status"] != "ok"]
    if failed and len(failed) == len(done):
        first = failed[0]["error"] or {}
        message = first.get("message", "") if len(failed) == 1 else f"None of the {len(failed)} files was ingested."
        raise InputError(message, code=first.get("code", "ingest_failed") if len(failed) == 1 else "ingest_failed",
                         detail={"results": done})
    return {"results": done, "documents": [d for r in done for d in r["documents"]],
            "pages": sum(r["pages"] for r in done), "texts": sum(r["texts"] for r in done), "failed": len(failed)}


def _staged_exists(name: str) -> bool:
    from django.core.files.storage import default_storage

    return default_storage.exists(name)
