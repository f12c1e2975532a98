"""One base for append-only, withdrawable records (annotations, reflections), as Wagtail's RevisionMixin.

The head row (``VersionedRecord``) holds a copy of the current content for cheap listing and
its version number; every act appends a row of the record's version model (``RecordVersion``),
never updated or deleted. A withdrawal is itself a version. ``inscription.services.versioning``
takes the head's lock, bumps it and refuses acts on a withdrawn record in one way for all.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class VersionedRecord(models.Model):
    version = models.PositiveIntegerField(default=1)
    withdrawn = models.BooleanField(default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="%(class)ss")
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True

    def bump(self) -> None:
        """The head now shows a new version (the caller saves it and appends the version row)."""
        self.version += 1
        self.modified_at = timezone.now()


class RecordVersion(models.Model):
    """One act on a record, with the content it left. ``created_by`` is null for acts of the system."""

    version = models.PositiveIntegerField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
