"""Summarise a document into a summary inscription that records its sources (layer, versions, lines)."""
from __future__ import annotations

from typing import Any

from django.db import transaction

from archive.models import Document, DocumentKind
from inscription.models import Inscription, InscriptionKind, Layer, LayerKind
from inscription.services.inscriptions import create_inscription
from inscription.services.layers import get_or_create_layer
from inscription.tasks.lines import TASKS
from jobs.runner import JobRun, job_task
from jobs.services.models import model_for_dir


def _source_units(document: Document, layer_id: int | None) -> tuple[list[str], list[dict], Layer | None]:
    """Text units to summarise and where each came from (line inscriptions in reading order, or the born-digital text)."""
    if layer_id:
        layer = Layer.objects.get(pk=layer_id)
    else:
        layer = (
            Layer.objects.filter(document=document, kind__in=[LayerKind.GROUND_TRUTH, LayerKind.MACHINE, LayerKind.IMPORT])
            .order_by("-created_at", "-id").first()
        )
    if layer is not None:
        current = (
            Inscription.objects.filter(layer=layer, is_current=True, withdrawn=False, line__isnull=False)
            .select_related("line__page").order_by("line__page__order", "line__order", "line_id")
        )
        units = [(i.text, {"line": i.line_id, "inscription": i.pk, "version": i.version}) for i in current if i.text.strip()]
        if units:
            return [u for u, _ in units], [s for _, s in units], layer
    text = getattr(document, "text", None) if document.kind == DocumentKind.TEXT else None
    if text is not None:
        return [text.content], [{"text": text.pk}], None
    return [], [], layer


@job_task(TASKS + "summarise_document", device="auto")
def summarise_document(run: JobRun) -> dict[str, Any]:
    """Summarise a document into a summary inscription that records its source layer, versions and line links."""
    from jobs.worker import configure_torch
    from models_ml.summarise.api import load_summariser
    from models_ml.summarise.store import DEFAULT_MODEL_DIR

    device = configure_torch()
    document = run.job.document
    units, sources, source_layer = _source_units(document, run.params.get("layer"))
    if not units:
        raise ValueError("the document has no text to summarise (no transcription and no born-digital text)")
    run.progress(0, total=1, message=f"summarising {len(units)} unit(s)")
    summariser = load_summariser(run.params.get("model_dir") or DEFAULT_MODEL_DIR, device)
    run.set_device(str(device))
    sentences = run.params.get("sentences")
    result = summariser.summarise(units if len(units) > 1 else units[0], sentences=int(sentences) if sentences else None)
    run.check_cancelled()
    model = model_for_dir(DEFAULT_MODEL_DIR if not run.params.get("model_dir") else run.params["model_dir"], summariser.card)
    # Map each chosen sentence to the units (lines) whose characters it covers.
    bounds, offset = [], 0
    for unit in units:
        bounds.append((offset, offset + len(unit)))
        offset += len(unit) + 1
    picked = []
    for s in result.sentences:
        covered = [sources[i] for i, (a, b) in enumerate(bounds) if a < s.end and s.start < b]
        picked.append({"text": s.text, "score": s.score, "position": s.position, "start": s.start, "end": s.end,
                       "sources": covered})
    layer = get_or_create_layer(document, f"summary: {model.name} {model.version}", LayerKind.SUMMARY, model, {}, None)
    with transaction.atomic():
        summary = create_inscription(
            layer=layer, document=document, text=result.summary, model_version=model, job=run.job,
            kind=InscriptionKind.SUMMARY, parameters={"sentences": sentences},
            extra={"source_layer": source_layer.pk if source_layer else None,
                   "source_versions": sources, "sentences": picked},
        )
    return {"inscription": summary.pk, "layer": layer.pk, "model_version": model.pk, "sentences": len(picked)}
