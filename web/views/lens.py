"""The memory lens in the curator interface: a machine line reading's memory, and a document's drift timeline.

Thin views: the trace itself is fetched by static/js/memory-lens.js from the REST API
(``/api/v1/inscriptions/{id}/trace/``), and the drift figures come from
``inscription.services.drift``; permissions go through web.access like every UI view.
"""
from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.safestring import mark_safe

from archive import permissions
from inscription.models import Inscription, Layer, LayerKind
from inscription.services import drift as drift_service
from jobs.models import Job, JobKind, JobState, ModelTask, ModelVersion
from palimpsest.ids import as_id
from web.access import attempt, can, document_for, require


def memory(request: HttpRequest, pk: int) -> HttpResponse:
    """The memory view of one machine line reading (gates, cell state, confidence, alternatives)."""
    ins = get_object_or_404(
        Inscription.objects.select_related("document__collection", "line__page", "model_version", "layer"), pk=pk
    )
    require(request, ins.document.collection)
    if ins.model_version_id is None or ins.line_id is None:
        raise Http404("Only machine readings of a line have a memory view.")
    doc, page = ins.document, ins.line.page
    pages = list(doc.pages.order_by("order", "id").values_list("pk", flat=True))
    return render(request, "web/lens/memory.html", {
        "nav": "collections",
        "inscription": ins,
        "document": doc,
        "page": page,
        "page_number": pages.index(page.pk) + 1 if page.pk in pages else 1,
        "may_write": can(request, doc.collection, permissions.WRITE),
        "breadcrumbs": [("Collections", "/"), (doc.collection.title, f"/c/{doc.collection.slug}/"),
                        (doc.title, f"/d/{doc.pk}/"), ("Page", f"/p/{page.pk}/?layer={ins.layer_id}"), ("Memory", None)],
    })


def _held_out(request: HttpRequest, document) -> tuple[list[int] | None, Job | None, str | None]:
    """?job=ID restricts the figures to that fine-tune job's held-out lines."""
    raw = request.GET.get("job", "")
    if not raw:
        return None, None, None
    job = Job.objects.filter(pk=as_id(raw) or 0, collection_id=document.collection_id).first()
    held = (job.result or {}).get("held_out") if job else None
    if not isinstance(held, list):
        return None, None, "That job recorded no held-out lines; the figures below use every corrected line."
    return [int(v) for v in held], job, None


def drift_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Every machine reading of the document over model versions; remembered fixes and forgotten regressions."""
    doc = document_for(request, pk)
    only, job, note = _held_out(request, doc)
    data = drift_service.drift(doc, only)
    layer_names = {lay["layer"]: lay for lay in data["layers"]}
    for t in data["transitions"]:
        t["from"], t["to"] = layer_names[t["from_layer"]], layer_names[t["to_layer"]]
    svg, error = attempt(drift_service.plot_svg, data)
    gt_layer = Layer.objects.filter(pk=data["ground_truth_layer"]).first() if data["ground_truth_layer"] else None
    train_jobs = list(Job.objects.filter(document=doc, kind=JobKind.TRAIN, state=JobState.SUCCEEDED).order_by("-id")[:10])
    newest = max(data["layers"], key=lambda lay: lay["model_created_at"], default=None)
    return render(request, "web/lens/drift.html", {
        "nav": "collections",
        "document": doc,
        "data": data,
        "plot": mark_safe(svg) if svg else None,  # noqa: S308 - matplotlib's own SVG, no user text except model names
        "plot_error": error,
        "held_job": job,
        "note": note,
        "gt_layer": gt_layer,
        "train_jobs": train_jobs,
        "newest_model": newest["model_version"] if newest else None,
        "htr_models": ModelVersion.objects.filter(task=ModelTask.HTR).order_by("name", "-created_at"),
        "may_write": can(request, doc.collection, permissions.WRITE),
        "machine_kind": LayerKind.MACHINE,
        "breadcrumbs": [("Collections", "/"), (doc.collection.title, f"/c/{doc.collection.slug}/"),
                        (doc.title, f"/d/{doc.pk}/"), ("Drift", None)],
    })
