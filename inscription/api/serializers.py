"""Serializers for inscriptions, layers, model versions and jobs (shape only; rules live in services)."""
from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from inscription.models import Inscription, InscriptionKind, Layer
from jobs import kinds
from jobs.models import Job, JobKind, JobState, ModelVersion
from jobs.services.models import plot_path
from palimpsest.serializer_cache import CachedFieldsMixin


class ModelVersionBriefSerializer(CachedFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = ModelVersion
        fields = ["id", "name", "version", "task", "sha256"]


class ModelVersionSerializer(CachedFieldsMixin, serializers.ModelSerializer):
    parent = ModelVersionBriefSerializer(read_only=True)
    training_job = serializers.PrimaryKeyRelatedField(read_only=True)
    plot_url = serializers.SerializerMethodField()

    class Meta:
        model = ModelVersion
        fields = [
            "id", "name", "version", "task", "sha256", "architecture", "hyperparameters", "charset", "training_data",
            "metrics", "licence", "card", "parent", "training_job", "created_at", "registered_at", "plot_url",
        ]

    def get_plot_url(self, obj: ModelVersion) -> str | None:
        if plot_path(obj) is None:
            return None
        return reverse("modelversion-plot", args=[obj.pk])


class LayerSerializer(CachedFieldsMixin, serializers.ModelSerializer):
    model_version = ModelVersionBriefSerializer(read_only=True)
    created_by = serializers.StringRelatedField(allow_null=True)
    collection = serializers.IntegerField(source="document.collection_id", read_only=True)
    current_inscriptions = serializers.IntegerField(read_only=True)
    total_inscriptions = serializers.IntegerField(read_only=True)
    jobs = serializers.SerializerMethodField()

    class Meta:
        model = Layer
        fields = [
            "id", "document", "collection", "name", "kind", "model_version", "parameters", "created_by", "created_at",
            "current_inscriptions", "total_inscriptions", "jobs",
        ]

    def get_jobs(self, obj: Layer) -> list[int]:
        """The jobs that wrote into this layer (provenance of machine layers)."""
        return sorted({j for j in obj.inscriptions.exclude(job=None).values_list("job_id", flat=True).distinct()})


class InscriptionSerializer(CachedFieldsMixin, serializers.ModelSerializer):
    created_by = serializers.StringRelatedField(allow_null=True)
    model_version = ModelVersionBriefSerializer(read_only=True)
    layer_name = serializers.CharField(source="layer.name", read_only=True)
    agent = serializers.CharField(source="agent_label", read_only=True)

    class Meta:
        model = Inscription
        fields = [
            "id", "layer", "layer_name", "kind", "action", "document", "page", "line", "target_key", "text", "agent",
            "created_by", "model_version", "parameters", "job", "supersedes", "restored_from", "version", "is_current",
            "withdrawn", "confidence", "char_confidences", "char_frames", "char_columns", "extra", "created_at",
        ]
        read_only_fields = fields


class InscriptionCreateSerializer(serializers.Serializer):
    """A human version of a target's text. Give ``layer`` (id) or ``layer_name`` (created as ground truth)."""

    layer = serializers.IntegerField(required=False)
    layer_name = serializers.CharField(required=False, max_length=200)
    line = serializers.IntegerField(required=False)
    page = serializers.IntegerField(required=False)
    document = serializers.IntegerField(required=False)
    text = serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=200_000)
    kind = serializers.ChoiceField(choices=InscriptionKind.choices, default=InscriptionKind.TRANSCRIPTION)

    def validate(self, attrs: dict) -> dict:
        if not any(attrs.get(k) for k in ("line", "page", "document")):
            raise serializers.ValidationError("Give a target: line, page or document.")
        if not attrs.get("layer") and not attrs.get("layer_name"):
            raise serializers.ValidationError("Give a layer (id) or a layer_name.")
        return attrs


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class JobSerializer(CachedFieldsMixin, serializers.ModelSerializer):
    requested_by = serializers.StringRelatedField(allow_null=True)
    progress_percent = serializers.IntegerField(read_only=True)
    url = serializers.SerializerMethodField()
    children = serializers.SerializerMethodField(help_text="A batch's child jobs (one per document)")
    download = serializers.SerializerMethodField(help_text="A fresh, expiring link to a finished export's zip")

    class Meta:
        model = Job
        fields = [
            "id", "url", "download", "kind", "state", "collection", "document", "page", "parameters", "progress_done", "progress_total",
            "progress_percent", "progress_message", "cancel_requested", "celery_task_id", "worker_host", "device",
            "attempts", "requested_by", "created_at", "started_at", "finished_at", "error", "result",
            "parent", "children",
        ]
        read_only_fields = fields

    def get_children(self, obj: Job) -> list[int]:
        return list(obj.children.order_by("id").values_list("pk", flat=True)) if obj.is_batch else []

    def get_url(self, obj: Job) -> str:
        path = reverse("job-detail", args=[obj.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    def get_download(self, obj: Job) -> str | None:
        from archive.services.export_links import download_path

        if obj.kind != JobKind.EXPORT or obj.state != JobState.SUCCEEDED or not (obj.result or {}).get("file"):
            return None
        request = self.context.get("request")
        return request.build_absolute_uri(download_path(obj)) if request else download_path(obj)


class JobCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=kinds.Choices())
    collection = serializers.CharField(help_text="Collection id or slug")
    document = serializers.IntegerField(required=False, allow_null=True)
    page = serializers.IntegerField(required=False, allow_null=True)
    parameters = serializers.DictField(required=False, default=dict)
