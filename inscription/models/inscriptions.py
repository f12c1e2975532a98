"""Inscriptions: dated, attributed acts of writing, grouped into layers, never overwritten.

A correction, a restore or a withdrawal each adds a row that ``supersedes`` the
previous one. Only ``is_current`` ever changes on an old row, and the database
guarantees one current row per target per layer.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class LayerKind(models.TextChoices):
    GROUND_TRUTH = "ground_truth", "Ground truth (human)"
    MACHINE = "machine", "Machine transcription"
    IMPORT = "import", "Imported"
    SUMMARY = "summary", "Summary"
    OTHER = "other", "Other"


class Layer(models.Model):
    """A named set of inscriptions on one document, e.g. "htr-default v3 (greedy)"."""

    document = models.ForeignKey("archive.Document", on_delete=models.PROTECT, related_name="layers")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=LayerKind.choices)
    model_version = models.ForeignKey(
        "jobs.ModelVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="layers"
    )
    parameters = models.JSONField(default=dict, blank=True, help_text="Decoder and other parameters of a machine layer")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["document", "created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["document", "name"], name="layer_name_unique_in_document")]

    def __str__(self) -> str:
        return self.name


class InscriptionKind(models.TextChoices):
    TRANSCRIPTION = "transcription", "Transcription"
    SUMMARY = "summary", "Summary"
    NORMALISATION = "normalisation", "Normalisation"
    TRANSLATION = "translation", "Translation"
    NOTE = "note", "Note"


class InscriptionAction(models.TextChoices):
    WRITE = "write", "Written"
    EDIT = "edit", "Edited"
    RESTORE = "restore", "Restored an earlier version"
    WITHDRAW = "withdraw", "Withdrawn"


class Inscription(models.Model):
    layer = models.ForeignKey(Layer, on_delete=models.PROTECT, related_name="inscriptions")
    kind = models.CharField(max_length=20, choices=InscriptionKind.choices, default=InscriptionKind.TRANSCRIPTION)
    action = models.CharField(max_length=10, choices=InscriptionAction.choices, default=InscriptionAction.WRITE)
    # Target: exactly one of line / page / document is the target; document is always set for queries.
    document = models.ForeignKey("archive.Document", on_delete=models.PROTECT, related_name="inscriptions")
    page = models.ForeignKey("archive.Page", null=True, blank=True, on_delete=models.PROTECT, related_name="inscriptions")
    line = models.ForeignKey("archive.Line", null=True, blank=True, on_delete=models.PROTECT, related_name="inscriptions")
    target_key = models.CharField(max_length=50, editable=False, help_text="line:ID, page:ID or document:ID")
    text = models.TextField(blank=True)
    # Agent: a person, or a model version with its parameters.
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="inscriptions")
    model_version = models.ForeignKey(
        "jobs.ModelVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="inscriptions"
    )
    parameters = models.JSONField(default=dict, blank=True)
    job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="inscriptions")
    # History.
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    restored_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(default=1)
    is_current = models.BooleanField(default=True)
    withdrawn = models.BooleanField(default=False, help_text="This version records a withdrawal of the text")
    # The machine's record of how it read.
    confidence = models.FloatField(null=True, blank=True)
    char_confidences = models.JSONField(null=True, blank=True)
    char_frames = models.JSONField(null=True, blank=True, help_text="[[start, end], ...] CTC frames per character")
    char_columns = models.JSONField(null=True, blank=True, help_text="[[x0, x1], ...] image columns per character")
    extra = models.JSONField(default=dict, blank=True, help_text="Kind-specific provenance, e.g. a summary's sources")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["layer", "target_key", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["layer", "target_key"], condition=Q(is_current=True), name="one_current_inscription_per_target_per_layer"
            ),
            models.UniqueConstraint(fields=["layer", "target_key", "version"], name="inscription_version_unique"),
            models.CheckConstraint(
                condition=Q(created_by__isnull=False) | Q(model_version__isnull=False),
                name="inscription_has_an_agent",
            ),
        ]
        indexes = [
            models.Index(fields=["document", "is_current"]),
            models.Index(fields=["line", "is_current"]),
            # "has this job already written this page?" (idempotent redelivery)
            models.Index(fields=["layer", "job", "page"]),
        ]

    def __str__(self) -> str:
        return f"{self.target_key} v{self.version} in {self.layer}"

    @property
    def agent_label(self) -> str:
        if self.model_version_id:
            return f"{self.model_version}"
        return str(self.created_by) if self.created_by_id else "unknown"

    def save(self, *args, **kwargs) -> None:
        if self.line_id:
            self.target_key = f"line:{self.line_id}"
        elif self.page_id:
            self.target_key = f"page:{self.page_id}"
        else:
            self.target_key = f"document:{self.document_id}"
        super().save(*args, **kwargs)
