"""Reflections: a curator's essay in Markdown that cites the archive by stable reference.

``[@annotation:12]``, ``[@comparison:3]``, ``[@inscription:45]``, ``[@document:7]`` and
``[@model:2]`` in the Markdown become links and a reference list when rendered (the HTML
is sanitised on every render, never stored). Each version stores its citations as rows,
so "which reflections cite this item" is one query on ``Citation``.
"""
from __future__ import annotations

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q

from inscription.models.versioned import RecordVersion, VersionedRecord


class Reflection(VersionedRecord):
    collection = models.ForeignKey("archive.Collection", on_delete=models.PROTECT, related_name="reflections")
    # Copies of the current version, for listing.
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True, help_text="Markdown")

    class Meta:
        ordering = ["-modified_at", "-id"]

    def __str__(self) -> str:
        return self.title


class ReflectionAction(models.TextChoices):
    WRITE = "write", "Written"
    EDIT = "edit", "Edited"
    WITHDRAW = "withdraw", "Withdrawn"


class ReflectionVersion(RecordVersion):
    reflection = models.ForeignKey(Reflection, on_delete=models.PROTECT, related_name="versions")
    action = models.CharField(max_length=10, choices=ReflectionAction.choices, default=ReflectionAction.WRITE)
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    is_current = models.BooleanField(default=True)

    class Meta:
        ordering = ["reflection", "version"]
        constraints = [
            models.UniqueConstraint(fields=["reflection", "version"], name="reflection_version_unique"),
            models.UniqueConstraint(fields=["reflection"], condition=Q(is_current=True), name="one_current_reflection_version"),
        ]

    def __str__(self) -> str:
        return f"{self.reflection_id} v{self.version}"


class Citation(models.Model):
    """A version of a reflection cites an object: a stable ref plus a generic foreign key."""

    version = models.ForeignKey(ReflectionVersion, on_delete=models.PROTECT, related_name="citations")
    reflection = models.ForeignKey(Reflection, on_delete=models.PROTECT, related_name="citations")
    ref = models.CharField(max_length=60, help_text='"annotation:12", "document:7", ...')
    position = models.PositiveIntegerField(help_text="Number in the reference list (1-based)")
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    cited = GenericForeignKey("content_type", "object_id")

    class Meta:
        ordering = ["version", "position"]
        indexes = [models.Index(fields=["ref"]), models.Index(fields=["content_type", "object_id"])]
        constraints = [models.UniqueConstraint(fields=["version", "ref"], name="citation_once_per_version")]
