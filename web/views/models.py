"""Model versions: cards, metrics, lineage and training curves; choosing a collection's default."""
from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from archive import permissions
from inscription.models import Layer
from jobs.models import ModelVersion
from jobs.services.models import plot_path

METRIC_NAMES = {
    "cer": "Character error rate", "wer": "Word error rate", "lines": "Lines", "pages": "Pages", "gt_lines": "Reference lines",
    "lines_per_second": "Lines read per second", "step": "Training step", "epoch": "Epoch", "loss": "Loss",
    "rouge1": "ROUGE-1", "rouge2": "ROUGE-2", "rougeL": "ROUGE-L", "rouge_l": "ROUGE-L", "decoder": "Decoder",
    "accuracy": "Accuracy", "f1": "F1", "precision": "Precision", "recall": "Recall",
}
RATES = ("cer", "wer")
SET_WORDS = {"heldout": "unseen", "val": "validation", "lm": "with language model", "gt": "reference", "synth": "synthetic"}
HIDDEN = ("set", "note", "command")


def metric_name(name: str) -> str:
    """A metric as a curator reads it ("cer" → "Character error rate")."""
    return METRIC_NAMES.get(name, name.replace("_", " ").capitalize())


def set_name(key: str) -> str:
    """An evaluation set's key in words ("test_heldout_lines_beam_lm" → "Test · unseen lines · beam · with language model")."""
    words = [SET_WORDS.get(w, w) for w in key.split("_") if w]
    return " ".join(words).capitalize() if words else ""


def _metric_rows(metrics: dict) -> list[tuple[str, str, str]]:
    """Flatten {"set": {"cer": 0.1}} or {"cer": 0.1} into (set, metric, value) rows in words, rates as percentages."""
    rows = []
    for key, value in (metrics or {}).items():
        if isinstance(value, dict):
            for name, figure in value.items():
                if not isinstance(figure, dict | list) and name not in HIDDEN:
                    rows.append((set_name(key), metric_name(name), _fmt(figure, name)))
        elif not isinstance(value, list) and not key.endswith("note"):
            rows.append(("", metric_name(key), _fmt(value, key)))
    return rows


def _fmt(value, name: str = "") -> str:  # noqa: ANN001
    if isinstance(value, float):
        if name in RATES:
            return f"{100 * value:.1f} %"
        return f"{value:.4f}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


def validation_note(model: ModelVersion) -> str:
    """What the figures were measured on, in words, from the model's card."""
    data = model.training_data if isinstance(model.training_data, dict) else {}
    parts = []
    if data.get("source"):
        parts.append(f"Trained on {data['source']}.")
    if data.get("validation"):
        n = data.get("validation_lines")
        parts.append(f"Validated on {data['validation']}" + (f" ({n} lines)." if n else "."))
    note = (model.metrics or {}).get("validation_note") if isinstance(model.metrics, dict) else None
    if note:
        parts.append(str(note))
    return " ".join(parts)


def model_list(request: HttpRequest) -> HttpResponse:
    models = list(ModelVersion.objects.select_related("parent").order_by("task", "name", "-created_at", "-id"))
    for m in models:
        m.metric_rows = _metric_rows(m.metrics)[:6]
        m.validation_note = validation_note(m)
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
            "validation_note": validation_note(model),
            "lineage": list(reversed(lineage)),
            "children": model.children.order_by("-created_at"),
            "has_plot": plot_path(model) is not None,
            "writable_collections": writable if model.task == "htr" else [],
            "n_layers": n_layers,
            "training": model.training_data if isinstance(model.training_data, dict) else {},
            "breadcrumbs": [("Models", "/models/"), (f"{model.name} {model.version}", None)],
        },
    )
