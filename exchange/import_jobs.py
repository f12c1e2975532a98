"""IIIF manifest import as an io-queue job (kind ``import``): the request checks and stages, the job fetches.

Why a job: a manifest may list 1,000 canvases, each image fetched with a 20 s timeout; that held a
web thread for minutes. The request checks what it can without the network (an http(s) URL, or
an uploaded manifest that is JSON with valid text), stages an uploaded manifest and answers 202
with the job. The job fetches and checks every image (progress: image n of N), then writes the
document in one transaction that also records the result on the Job row: a killed worker leaves
no half-document, and a redelivered job that finds its document recorded does nothing again.
A refused URL, a broken image or a malformed manifest ends the job failed with the import's
error (code and message in ``result["error"]``) and nothing stored.
"""
from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.storage import default_storage

from archive.ingest import heavy
from archive.ingest.sources import Upload
from archive.models import Collection
from exchange.formats import fetch, iiif_import
from jobs.kinds import ParamCheck
from jobs.models import Job, JobKind
from jobs.services.jobs import create_job
from palimpsest.errors import InputError

IMPORT_IIIF_TASK = "exchange.tasks.import_iiif"


def start_iiif_import(collection: Collection, user: AbstractBaseUser | None, *, url: str | None = None,
                      manifest: bytes | None = None, filename: str = "manifest.json") -> Job:
    """Queue the import of a manifest at ``url`` or of uploaded ``manifest`` bytes (checked as JSON first)."""
    if manifest is not None:
        iiif_import.load(manifest)  # not JSON, or invalid text: a 400 now rather than a failed job
        staged = heavy.stage(Upload.from_bytes(filename or "manifest.json", manifest))
        try:
            return create_job(JobKind.IMPORT, collection, user=user, params={"format": "iiif", "staged": staged,
                                                                             "name": (filename or "")[:200]})
        except BaseException:
            heavy.discard([staged])
            raise
    fetch.check_url(url or "")
    return create_job(JobKind.IMPORT, collection, user=user, params={"format": "iiif", "url": url})


def clean_import(check: ParamCheck) -> dict[str, Any]:
    """The kind's parameter check: a IIIF manifest by http(s) URL, or one this app staged."""
    params = check.params
    if params.get("format", "iiif") != "iiif":
        raise InputError("Only IIIF manifests are imported as jobs.", code="bad_parameters")
    url, staged = params.get("url"), params.get("staged")
    if (url is None) == (staged is None):
        raise InputError("An import job needs a manifest 'url' (or an uploaded manifest).", code="bad_parameters")
    if url is not None:
        if not isinstance(url, str):
            raise InputError("'url' must be a string.", code="bad_url")
        return {"format": "iiif", "url": fetch.check_url(url)[:2000]}
    if not heavy.is_staged_name(staged):
        raise InputError("An import job needs the manifest its upload staged.", code="bad_parameters")
    return {"format": "iiif", "staged": staged, "name": str(params.get("name") or "")[:200]}


def run_iiif_import(run) -> dict[str, Any]:
    """The body of ``exchange.tasks.import_iiif`` (``run`` is the runner's ``JobRun``)."""
    from jobs.runner import TRANSIENT_ERRORS, JobLeaseLost

    job: Job = run.job
    if (job.result or {}).get("document"):
        return job.result  # an earlier delivery wrote the document and recorded it in the same transaction
    params = run.params
    collection = Collection.objects.get(pk=job.collection_id)

    def progress(done: int, total: int) -> None:
        run.check_cancelled()
        run.progress(done, total=total, message=f"image {done} of {total}")

    def within(summary: dict) -> None:
        Job.objects.filter(pk=job.pk).update(result=summary)

    staged = [params["staged"]] if params.get("staged") else []
    try:
        if params.get("url"):
            run.progress(0, total=1, message="fetching the manifest")
            summary = iiif_import.import_from_url(collection, job.requested_by, params["url"], progress=progress,
                                                  within=within)
        else:
            if not default_storage.exists(params["staged"]):
                raise InputError("The uploaded manifest is gone; upload it again.", code="upload_gone")
            with default_storage.open(params["staged"], "rb") as handle:
                raw = handle.read()
            summary = iiif_import.import_manifest(collection, job.requested_by, raw, progress=progress, within=within)
    except (*TRANSIENT_ERRORS, JobLeaseLost):
        raise  # retried, or taken over: the staged manifest is still needed
    except BaseException:
        heavy.discard(staged)
        raise
    heavy.discard(staged)
    return summary
