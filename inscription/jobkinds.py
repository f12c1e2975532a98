"""The job kinds of the memory layer: machine reading, summaries, fine-tuning, evaluation, comparisons.

One entry per kind (see ``jobs.kinds``): its task, queue, parameter check, target and the
fields the document page's form offers. The tasks live in ``inscription.tasks`` (model work,
gpu queue) and ``inscription.compare_tasks`` (alignment, io queue).
"""
from inscription.services import job_params
from jobs.kinds import JobKindSpec, register
from jobs.models import JobKind

register(JobKindSpec(JobKind.SEGMENT, JobKind.SEGMENT.label, "inscription.tasks.segment_document", "gpu", target="document",
                     custom_form=True, form_fields=()))
register(JobKindSpec(JobKind.TRANSCRIBE, JobKind.TRANSCRIBE.label, "inscription.tasks.transcribe_document", "gpu",
                     clean=job_params.clean_transcribe, custom_form=True, form_fields=("model", "decoder", "lines")))
register(JobKindSpec(JobKind.SUMMARISE, JobKind.SUMMARISE.label, "inscription.tasks.summarise_document", "gpu", target="document",
                     clean=job_params.clean_summarise, custom_form=True, form_fields=("layer",)))
register(JobKindSpec(JobKind.TRAIN, JobKind.TRAIN.label, "inscription.tasks.train_model", "gpu",
                     clean=job_params.clean_train, custom_form=True, form_fields=("model", "layer", "epochs")))
register(JobKindSpec(JobKind.EVALUATE, JobKind.EVALUATE.label, "inscription.tasks.evaluate_model", "gpu",
                     clean=job_params.clean_evaluate, custom_form=True, form_fields=("model", "layer", "decoder")))
register(JobKindSpec(JobKind.COMPARE, JobKind.COMPARE.label, "inscription.compare_tasks.run_comparison", "io"))
