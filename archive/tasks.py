"""Celery tasks of the holdings (io queue): heavy ingests (see ``archive.services.ingest_jobs``)."""
from jobs.runner import JobRun, job_task

INGEST_TASK = "archive.tasks.ingest_files"


@job_task(name=INGEST_TASK, device="cpu")
def ingest_files(run: JobRun) -> dict:
    """Decode and store the staged uploads of an ingest job, one file per short transaction, with progress."""
    from archive.services.ingest_jobs import run_ingest_job

    return run_ingest_job(run)
