"""Annotations: a curator's comments, tags and links on inscriptions, lines, pages and documents.

Follows the W3C Web Annotation Data Model. The ``Annotation`` row is the head of a
history: its ``motivation``/``body``/``target`` are a copy of the current version, kept
for cheap listing and filtering. Every write (create, edit, re-anchor, orphaning,
withdrawal, import) appends an ``AnnotationVersion``; versions are never updated or
deleted, and a deletion is a recorded withdrawal.

``body`` and ``target`` hold the platform's own normalised JSON (validated by
``inscription.annotations.selectors``); ``inscription.annotations.jsonld`` maps it to
and from W3C JSON-LD.
"""
from __future__ import annotations

from django.db import models

from inscription.models.versioned import RecordVersion, VersionedRecord


class Motivation(models.TextChoices):
    """The whole W3C Web Annotation motivation vocabulary (oa:Motivation), so any conforming file imports."""

    COMMENTING = "commenting", "Commenting"
    TAGGING = "tagging", "Tagging"
    IDENTIFYING = "identifying", "Identifying"
    DESCRIBING = "describing", "Describing"
    LINKING = "linking", "Linking"
    QUESTIONING = "questioning", "Questioning"
    ASSESSING = "assessing", "Assessing"
    BOOKMARKING = "bookmarking", "Bookmarking"
    CLASSIFYING = "classifying", "Classifying"
    EDITING = "editing", "Editing"
    HIGHLIGHTING = "highlighting", "Highlighting"
    MODERATING = "moderating", "Moderating"
    REPLYING = "replying", "Replying"


class AnnotationAction(models.TextChoices):
    CREATE = "create", "Created"
    IMPORT = "import", "Imported"
    EDIT = "edit", "Edited"
    REANCHOR = "reanchor", "Re-anchored to a new inscription version"
    ORPHAN = "orphan", "Quote not found in the new inscription version"
    WITHDRAW = "withdraw", "Withdrawn"


class Annotation(VersionedRecord):
    collection = models.ForeignKey("archive.Collection", on_delete=models.PROTECT, related_name="annotations")
    document = models.ForeignKey("archive.Document", on_delete=models.PROTECT, related_name="annotations")
    # Denormalised from the current targets, for filters ("annotations on this page / line").
    page = models.ForeignKey("archive.Page", null=True, blank=True, on_delete=models.PROTECT, related_name="annotations")
    line = models.ForeignKey("archive.Line", null=True, blank=True, on_delete=models.PROTECT, related_name="annotations")
    inscriptions = models.ManyToManyField(
        "inscription.Inscription", blank=True, related_name="annotations", help_text="Inscriptions among the current targets"
    )
    tags = models.ManyToManyField("archive.Tag", blank=True, related_name="annotations", help_text="Tagging bodies of the current version")
    motivation = models.CharField(max_length=20, choices=Motivation.choices)
    body = models.JSONField(default=list, blank=True)
    target = models.JSONField(default=list)
    orphaned = models.BooleanField(default=False, help_text="A quoted span could not be found in a newer inscription version")
    extra = models.JSONField(default=dict, blank=True, help_text="Provenance, e.g. the id an imported annotation had")

    class Meta:
        ordering = ["document", "created_at", "id"]
        indexes = [
            models.Index(fields=["document", "withdrawn"]),
            models.Index(fields=["collection", "motivation"]),
            models.Index(fields=["orphaned"]),
        ]

    def __str__(self) -> str:
        return f"annotation {self.pk} ({self.motivation}) on {self.document_id}"


class AnnotationVersion(RecordVersion):
    """One act on an annotation, with the full content it left. Append-only."""

    annotation = models.ForeignKey(Annotation, on_delete=models.PROTECT, related_name="versions")
    action = models.CharField(max_length=10, choices=AnnotationAction.choices)
    motivation = models.CharField(max_length=20, choices=Motivation.choices)
    body = models.JSONField(default=list, blank=True)
    target = models.JSONField(default=list)
    orphaned = models.BooleanField(default=False)
    withdrawn = models.BooleanField(default=False)
    note = models.JSONField(default=dict, blank=True, help_text="Why: re-anchoring method and score, withdrawal reason")

    class Meta:
        ordering = ["annotation", "version"]
        constraints = [models.UniqueConstraint(fields=["annotation", "version"], name="annotation_version_unique")]

    def __str__(self) -> str:
        return f"annotation {self.annotation_id} v{self.version} ({self.action})"
