"""ModelVersion: one set of weights, mirrored from the JSON card beside them in the model store."""
from __future__ import annotations

from django.db import models


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
    training_job = models.ForeignKey("inscription.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    registered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["task", "name", "-created_at"]
        constraints = [models.UniqueConstraint(fields=["name", "version", "sha256"], name="model_version_unique")]

    def __str__(self) -> str:
        return f"{self.name} {self.version}"
