"""Comparisons: two inscription sets over the same targets, aligned and measured.

The left side is the reference (e.g. ground truth) and the right side the hypothesis
(e.g. a machine layer): CER = character edits / reference characters, WER likewise on
words. A comparison is keyed by the exact inscription versions on each side
(``cache_key``), so re-running it returns the stored result, and a new version on either
side makes a new comparison. Texts are normalised to Unicode NFC before comparing.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models


class ComparisonState(models.TextChoices):
    PENDING = "pending", "Waiting for its job"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class LineStatus(models.TextChoices):
    BOTH = "both", "On both sides"
    LEFT_ONLY = "left_only", "Reference only (counted as deleted)"
    RIGHT_ONLY = "right_only", "Hypothesis only (counted as inserted)"


class Comparison(models.Model):
    collection = models.ForeignKey("archive.Collection", on_delete=models.PROTECT, related_name="comparisons")
    document = models.ForeignKey(
        "archive.Document", null=True, blank=True, on_delete=models.PROTECT, related_name="comparisons",
        help_text="Set when the scope is one document; null for a whole collection",
    )
    label = models.CharField(max_length=300, blank=True)
    left_spec = models.JSONField(default=dict, help_text="What the left (reference) side was asked as")
    right_spec = models.JSONField(default=dict, help_text="What the right (hypothesis) side was asked as")
    left_key = models.CharField(max_length=64, help_text="sha256 of the sorted inscription ids on the left")
    right_key = models.CharField(max_length=64)
    cache_key = models.CharField(max_length=64, unique=True, help_text="sha256 of both sides and the normalisation")
    normalisation = models.CharField(max_length=10, default="NFC")
    state = models.CharField(max_length=10, choices=ComparisonState.choices, default=ComparisonState.READY)
    job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="comparisons")
    error = models.TextField(blank=True)
    # Totals (one-sided lines included, see docs/annotations.md).
    char_edits = models.PositiveIntegerField(default=0)
    ref_chars = models.PositiveIntegerField(default=0)
    word_edits = models.PositiveIntegerField(default=0)
    ref_words = models.PositiveIntegerField(default=0)
    cer = models.FloatField(null=True, blank=True)
    wer = models.FloatField(null=True, blank=True)
    lines_both = models.PositiveIntegerField(default=0)
    lines_left_only = models.PositiveIntegerField(default=0)
    lines_right_only = models.PositiveIntegerField(default=0)
    substitutions = models.PositiveIntegerField(default=0)
    insertions = models.PositiveIntegerField(default=0)
    deletions = models.PositiveIntegerField(default=0)
    confusion = models.JSONField(default=list, blank=True, help_text='[{"ref": "a", "hyp": "o", "count": 3}, ...]; "" = none')
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"comparison {self.pk} ({self.state})"


class ComparisonLine(models.Model):
    """One target compared: figures and the alignment as edit opcodes."""

    comparison = models.ForeignKey(Comparison, on_delete=models.CASCADE, related_name="lines")
    order = models.PositiveIntegerField()
    target_key = models.CharField(max_length=50)
    status = models.CharField(max_length=10, choices=LineStatus.choices)
    left = models.ForeignKey("inscription.Inscription", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    right = models.ForeignKey("inscription.Inscription", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    char_edits = models.PositiveIntegerField(default=0)
    ref_chars = models.PositiveIntegerField(default=0)
    word_edits = models.PositiveIntegerField(default=0)
    ref_words = models.PositiveIntegerField(default=0)
    cer = models.FloatField(null=True, blank=True, help_text="Null when the reference line is empty and the hypothesis is not")
    wer = models.FloatField(null=True, blank=True)
    char_ops = models.JSONField(default=list, blank=True, help_text="[[tag, i1, i2, j1, j2], ...] on NFC texts")
    word_ops = models.JSONField(default=list, blank=True, help_text="[[tag, i1, i2, j1, j2], ...] on word lists")

    class Meta:
        ordering = ["comparison", "order"]
        indexes = [models.Index(fields=["comparison", "cer"])]
        constraints = [models.UniqueConstraint(fields=["comparison", "target_key"], name="comparison_line_target_unique")]
