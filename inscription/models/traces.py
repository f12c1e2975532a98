"""Reading traces: the recognizer's LSTM memory while it read one line, kept beside the inscription.

A trace is derived data (it can be recomputed from the weights and the scan), so it is
cached, not versioned: one row per machine inscription, written once on first request.
The blob is ``models_ml.htr.trace.ReadingTrace.to_bytes()`` (zlib, float16 arrays).
"""
from __future__ import annotations

from django.db import models


class ReadingTrace(models.Model):
    inscription = models.OneToOneField("inscription.Inscription", on_delete=models.CASCADE, related_name="reading_trace")
    model_version = models.ForeignKey("jobs.ModelVersion", on_delete=models.PROTECT, related_name="+",
                                      help_text="The weights the trace was computed with (the inscription's own)")
    blob = models.BinaryField(help_text="ReadingTrace.to_bytes(): zlib-compressed header + float16 arrays")
    size = models.PositiveIntegerField(help_text="Bytes in blob")
    frames = models.PositiveIntegerField(default=0)
    crop = models.JSONField(default=dict, blank=True,
                            help_text="Where the line image came from: page crop box and model-input size")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"trace of inscription {self.inscription_id} ({self.size} bytes)"
