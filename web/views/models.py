"""Model versions: cards, metrics, lineage and training curves; choosing a collection's default."""
from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from archive import permissions
from inscription.models import Layer
from jobs.models import ModelVersion
from jobs.services.models import plot_path


def _metric_rows(metrics: dict) -> list[tuple[str, str, str]]:
    """Flatten {"set": {"cer": 0.1}} or {"cer": 0.1} into (set, metric, value) rows for a table."""
    rows = []
    for key, value in (metrics or {}).items():
        if isinstance(value, dict):
            for name, figure in value.items():
                if not isinstance(figure, dict | list):
                    rows.append((key, name, _fmt(figure)))
        elif not isinstance(value, list):
            rows.append(("", key, _fmt(value)))
    return rows


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


def model_list(request: HttpRequest) -> HttpResponse:
    models = list(ModelVersion.objects.select_related("parent").order_by("task", "name", "-created_at", "-id"))
    for m in models:
        m.metric_rows = _metric_rows(m.metrics)[:6]
        m.has_plot = plot_path(m) is not None
    return render(request, "web/models.html", {"nav": "models", "models": models, "breadcrumbs": [("Models", None)]})


def model_detail(request: HttpRequest, pk: int) -> HttpResponse:
    model = get_object_or_404(ModelVersion.objects.select_related("parent"), pk=pk)
    lineage = []
    cursor = model.parent
    while cursor is not None and len(lineage) < 50:
        lineage.append(cursor)
        cursor = cursor.parent
    writable = [
        c for c in permissions.readable_collections(request.user).order_by("title") if permissions.can(request.user, c, permissions.WRITE)
    ] if request.user.is_authenticated else []
    readable_ids = permissions.readable_collection_ids(request.user)
    n_layers = Layer.objects.filter(model_version=model, document__collection_id__in=readable_ids).count()
    return render(
        request,
        "web/model.html",
        {
            "nav": "models",
            "model": model,
            "metric_rows": _metric_rows(model.metrics),
            "lineage": list(reversed(lineage)),
            "children": model.children.order_by("-created_at"),
            "has_plot": plot_path(model) is not None,
            "writable_collections": writable if model.task == "htr" else [],
            "n_layers": n_layers,
            "training": model.training_data if isinstance(model.training_data, dict) else {},
            "breadcrumbs": [("Models", "/models/"), (f"{model.name} {model.version}", None)],
        },
    )
