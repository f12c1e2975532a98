"""The job kinds of the holdings (see ``jobs.kinds``): a heavy ingest runs on the io queue."""
from archive.services.ingest_jobs import INGEST_KIND, clean_ingest
from archive.tasks import INGEST_TASK
from jobs.kinds import JobKindSpec, register

register(JobKindSpec(INGEST_KIND, "Ingest", INGEST_TASK, "io", clean=clean_ingest))
