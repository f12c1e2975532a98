"""Celery tasks for ingest, import and export (io queue)."""

# --- formats: collection archive export (owner: formats) -----------------------------------
import os  # noqa: E402
import tempfile  # noqa: E402

from inscription.runner import JobRun, job_task  # noqa: E402


@job_task(device="cpu")
def export_collection(run: JobRun) -> dict:
    """Write the collection's zip archive into the media store; the Job's result names the file."""
    from django.core.files import File
    from django.core.files.storage import default_storage

    from archive.formats.archive_export import export_collection as write_archive
    from archive.formats.common import base_url
    from archive.services.export_links import export_file_name

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
