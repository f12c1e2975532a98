"""The job kinds of imports and exports (io queue); see ``jobs.kinds``."""
from exchange.import_jobs import IMPORT_IIIF_TASK, clean_import
from exchange.tasks import EXPORT_COLLECTION_TASK, EXPORT_FORMAT_TASK
from jobs.kinds import JobKindSpec, register
from jobs.models import JobKind

register(JobKindSpec(JobKind.EXPORT, JobKind.EXPORT.label, EXPORT_COLLECTION_TASK, "io", module="exchange.tasks",
                     extra_tasks=(EXPORT_FORMAT_TASK,)))
register(JobKindSpec(JobKind.IMPORT, JobKind.IMPORT.label, IMPORT_IIIF_TASK, "io", module="exchange.tasks",
                     clean=clean_import))
