"""The search index: one row per searchable text, and the machine's word alternatives.

The index is derived data, kept current by ``search.services.indexing`` on every write
(services send ``inscription.events.inscriptions_written`` for bulk writes, where no
post_save fires) and rebuilt whole by ``manage.py reindex_search``. On PostgreSQL a trigger
fills ``vector`` (tsvector of ``norm`` in the row's text-search configuration) and GIN indexes
serve full-text and trigram queries; on SQLite an FTS5 table mirrors ``norm`` through triggers.
"""
from __future__ import annotations

from django.contrib.postgres.search import SearchVectorField
from django.db import models


class Language(models.TextChoices):
    """PostgreSQL text-search configurations a collection can be searched with."""

    FRENCH = "french", "French"
    ENGLISH = "english", "English"
    SIMPLE = "simple", "Simple (no stemming)"


class EntryKind(models.TextChoices):
    LINE = "line", "Line reading"
    INSCRIPTION = "inscription", "Page or document inscription"
    ANNOTATION = "annotation", "Annotation body"
    REFLECTION = "reflection", "Reflection"
    DOCUMENT = "document", "Document title and metadata"
    TEXT = "text", "Born-digital text"


class CollectionSearchSettings(models.Model):
    """The language a collection is searched in (stemming and stop words on PostgreSQL)."""

    collection = models.OneToOneField("archive.Collection", on_delete=models.CASCADE, related_name="search_settings")
    language = models.CharField(max_length=10, choices=Language.choices, default=Language.SIMPLE)

    def __str__(self) -> str:
        return f"{self.collection} searched in {self.language}"


class SearchEntry(models.Model):
    source = models.CharField(max_length=40, unique=True, help_text='"inscription:12", "annotation:3", ...')
    kind = models.CharField(max_length=12, choices=EntryKind.choices)
    collection = models.ForeignKey("archive.Collection", on_delete=models.CASCADE, related_name="+")
    document = models.ForeignKey("archive.Document", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    page = models.ForeignKey("archive.Page", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    line = models.ForeignKey("archive.Line", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    layer = models.ForeignKey("inscription.Layer", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    object_id = models.BigIntegerField(help_text="Id of the inscription, annotation, reflection or document")
    is_current = models.BooleanField(default=True)
    machine = models.BooleanField(null=True, help_text="Written by a model (True) or a person (False)")
    confidence = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField()
    year = models.IntegerField(null=True, blank=True, help_text="The document's (start) year")
    config = models.CharField(max_length=10, choices=Language.choices, default=Language.SIMPLE)
    title = models.CharField(max_length=300, blank=True)
    text = models.TextField(blank=True)
    norm = models.TextField(blank=True, help_text="The text folded (no accents, lower case): what is matched")
    vector = SearchVectorField(null=True, editable=False)

    class Meta:
        indexes = [
            models.Index(fields=["collection", "kind", "is_current"]),
            models.Index(fields=["document"]),
            models.Index(fields=["line"]),
        ]

    def __str__(self) -> str:
        return self.source


class WordAlternative(models.Model):
    """A spelling the recognizer gave some probability at one word position of a machine line."""

    entry = models.ForeignKey(SearchEntry, on_delete=models.CASCADE, related_name="alternatives")
    position = models.PositiveSmallIntegerField(help_text="Word position (slot) in the line")
    token = models.CharField(max_length=100, help_text="The folded word")
    spelling = models.CharField(max_length=200, help_text="The spelling as the recognizer wrote it")
    best = models.CharField(max_length=200, blank=True, help_text="The most probable spelling at this position")
    probability = models.FloatField()
    x0 = models.IntegerField(help_text="First image column of the word in the line crop")
    x1 = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["token", "probability"])]

    def __str__(self) -> str:
        return f"{self.token} p={self.probability:.2f} in {self.entry_id}"
