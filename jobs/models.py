"""The bottom of the app stack: Job (one background act) and ModelVersion (one set of weights).

Why here: archive and inscription both point at the job that wrote a line and at the model
that read it, so these two rows sit below both apps. The tables keep their first names
(``inscription_job``, ``inscription_modelversion``): moving the models moved no data.
A Job's target (collection, document, page) is a lazy reference to archive's tables; no
code in this app imports archive.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models

from jobs import kinds


class JobKind(models.TextChoices):
    """Names of the built-in kinds, for code that refers to one. Which kinds exist, and how each runs, is jobs.kinds."""

    SEGMENT = "segment", "Segment"
    TRANSCRIBE = "transcribe", "Transcribe"
    SUMMARISE = "summarise", "Summarise"
    TRAIN = "train", "Fine-tune"
    EVALUATE = "evaluate", "Evaluate"
    COMPARE = "compare", "Compare"
    IMPORT = "import", "Import"
    EXPORT = "export", "Export"


class JobState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


FINAL_STATES = (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)


class Job(models.Model):
    kind = models.CharField(max_length=20, choices=kinds.choices)  # the registered kinds (jobs.kinds)
    state = models.CharField(max_length=20, choices=JobState.choices, default=JobState.QUEUED)
    collection = models.ForeignKey("archive.Collection", on_delete=models.CASCADE, related_name="jobs")
    document = models.ForeignKey("archive.Document", null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs")
    page = models.ForeignKey("archive.Page", null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs")
    # A batch: the parent has no task of its own; its children (one per document) do the work,
    # and its state and progress are summed up from theirs (inscription.services.batches).
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    parameters = models.JSONField(default=dict, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    progress_message = models.CharField(max_length=500, blank=True)
    cancel_requested = models.BooleanField(default=False)
    celery_task_id = models.CharField(max_length=100, blank=True)
    task_name = models.CharField(max_length=200, blank=True, help_text="Celery task that runs this job (for re-sending)")
    worker_host = models.CharField(max_length=200, blank=True)
    worker_pid = models.PositiveIntegerField(null=True, blank=True, help_text="Process running the job (its lease)")
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="Last sign of life of the running worker")
    device = models.CharField(max_length=50, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    result = models.JSONField(default=dict, blank=True, help_text="What the job produced: layer, model version, file, figures")

    class Meta:
        ordering = ["-created_at", "-id"]
        db_table = "inscription_job"
        indexes = [
            models.Index(fields=["collection", "state"]),
            models.Index(fields=["kind", "state"]),
            models.Index(fields=["state", "heartbeat_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} job {self.pk} ({self.state})"

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES

    @property
    def is_batch(self) -> bool:
        return bool((self.parameters or {}).get("batch"))

    @property
    def progress_percent(self) -> int:
        if not self.progress_total:
            return 100 if self.state == JobState.SUCCEEDED else 0
        return min(100, int(100 * self.progress_done / self.progress_total))


class ModelTask(models.TextChoices):
    HTR = "htr", "Handwriting recognition"
    SEGMENT = "segment", "Segmentation"
    SUMMARISE = "summarise", "Summarisation"


class ModelVersion(models.Model):
    name = models.CharField(max_length=200)
    version = models.CharField(max_length=100)
    task = models.CharField(max_length=20, choices=ModelTask.choices)
    path = models.CharField(max_length=1000, help_text="Directory of the weights and card in the model store")
    sha256 = models.CharField(max_length=64, help_text="sha256 of the weights file")
    architecture = models.JSONField(default=dict, blank=True)
    hyperparameters = models.JSONField(default=dict, blank=True)
    charset = models.TextField(blank=True)
    training_data = models.JSONField(default=dict, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    licence = models.CharField(max_length=100, blank=True)
    card = models.JSONField(default=dict, blank=True, help_text="The full JSON card as stored beside the weights")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    training_job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    registered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "inscription_modelversion"
        ordering = ["task", "name", "-created_at"]
        constraints = [models.UniqueConstraint(fields=["name", "version", "sha256"], name="model_version_unique")]

    def __str__(self) -> str:
        return f"{self.name} {self.version}"

    # The columns a list of readings never shows: JSON (and the charset) decoded per joined row otherwise.
    CARD_FIELDS = ("architecture", "hyperparameters", "charset", "training_data", "metrics", "card")

    @classmethod
    def card_fields(cls, via: str) -> list[str]:
        """``defer()`` names of the card columns for a query that joins the model version through ``via``."""
        return [f"{via}__{name}" for name in cls.CARD_FIELDS]
