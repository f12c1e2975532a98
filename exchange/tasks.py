"""Celery tasks for imports and exports (io queue)."""
import os
import tempfile

from jobs.runner import JobRun, job_task

# The task's name predates the exchange app; queued and running jobs carry it in Job.task_name
# (the orphan sweep re-sends by that name), so it stays.
EXPORT_COLLECTION_TASK = "archive.tasks.export_collection"
# One format of a document or a collection (also a job of kind "export"; exchange/jobkinds.py routes it).
EXPORT_FORMAT_TASK = "exchange.tasks.export_format"


@job_task(name=EXPORT_COLLECTION_TASK, device="cpu")
def export_collection(run: JobRun) -> dict:
    """Write the collection's zip archive into the media store; the Job's result names the file."""
    from django.core.files import File
    from django.core.files.storage import default_storage

    from archive.services.export_links import export_file_name
    from exchange.formats.archive_export import export_collection as write_archive
    from exchange.formats.common import base_url

    collection = run.job.collection
    name = export_file_name(run.job)
    fd, tmp = tempfile.mkstemp(suffix=".zip")
    os.close(fd)
    try:
        figures = write_archive(
            collection, tmp, run.params.get("base_url") or base_url(),
            progress=lambda done, total, message: run.progress(done, total=total, message=message),
            check_cancel=run.check_cancelled,
        )
        if default_storage.exists(name):  # a redelivered task writes the same file again
            default_storage.delete(name)
        with open(tmp, "rb") as fh:
            stored = default_storage.save(name, File(fh))
    finally:
        os.unlink(tmp)
    return {"file": stored, **figures}


@job_task(name=EXPORT_FORMAT_TASK, device="cpu")
def export_format(run: JobRun) -> dict:
    """One format (TEI, ALTO, PAGE, text, IIIF, W3C) of one document, or of every document of the collection
    as a zip; the file goes into the media store under an unguessable name, downloaded through a signed link."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from archive.services.export_links import export_file_name
    from exchange.formats.common import base_url
    from exchange.formats.exports import collection_export, document_export

    fmt, base = run.params["format"], run.params.get("base_url") or base_url()
    run.check_cancelled()
    extra: dict = {}
    if run.job.document_id:
        run.progress(0, total=1, message=f"writing {fmt}")
        filename, data, media = document_export(fmt, run.job.document, base)
    else:
        filename, data, media, extra = collection_export(
            fmt, run.job.collection, base, progress=lambda done, total: run.progress(done, total=total,
                                                                                    message=f"document {done} of {total}"),
            check_cancel=run.check_cancelled)
    name = export_file_name(run.job, filename)
    if default_storage.exists(name):  # a redelivered task writes the same file again
        default_storage.delete(name)
    stored = default_storage.save(name, ContentFile(data))
    return {"file": stored, "format": fmt, "content_type": media, "bytes": len(data), **extra}


@job_task(name="exchange.tasks.import_iiif", device="cpu")
def import_iiif(run: JobRun) -> dict:
    """Fetch a IIIF manifest's images (progress per image) and write its document in one transaction."""
    from exchange.import_jobs import run_iiif_import

    return run_iiif_import(run)
