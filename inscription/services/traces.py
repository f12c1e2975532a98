"""Reading traces of machine inscriptions: computed on first request, then kept in the database.

Why cache: a trace is the same every time for the same weights and scan (the model is
deterministic in eval mode), and recomputing needs torch and the weights on the web
host. The first request pays, every later one (and the collection export) reads the row.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction

from inscription.models import Inscription, ReadingTrace
from inscription.services.line_images import crop_line_image, page_image
from palimpsest.errors import InputError


def check_traceable(inscription: Inscription) -> None:
    """Only a machine reading of a line has a trace: it needs the model that wrote it and the line image."""
    if inscription.model_version_id is None:
        raise InputError("Only machine readings have a reading trace; this inscription was written by a person.",
                         code="not_a_machine_reading")
    if inscription.line_id is None:
        raise InputError("Only line readings have a reading trace; this inscription is on a page or document.",
                         code="not_a_line_reading")
    if inscription.withdrawn:
        raise InputError("This version is a withdrawal; it has no reading.", code="withdrawn")


def get_or_compute_trace(inscription: Inscription) -> ReadingTrace:
    """The stored trace of a machine line reading, computing and storing it the first time."""
    check_traceable(inscription)
    existing = ReadingTrace.objects.filter(inscription=inscription).first()
    if existing is not None:
        return existing
    try:
        computed = compute_line_trace(inscription)
    except FileNotFoundError as exc:
        raise InputError(str(exc), code="model_not_available", status_code=409) from exc
    except Exception as exc:  # models_ml.registry.ModelError: imported lazily, so matched by name
        if type(exc).__name__ == "ModelError":
            raise InputError(str(exc), code="model_not_available", status_code=409) from exc
        raise
    crop = dict(computed["crop"])
    crop["matches_inscription"] = computed["text"] == inscription.text
    try:
        with transaction.atomic():
            return ReadingTrace.objects.create(
                inscription=inscription, model_version_id=inscription.model_version_id, blob=computed["blob"],
                size=len(computed["blob"]), frames=computed["frames"], crop=crop,
            )
    except IntegrityError:  # computed concurrently by another request
        return ReadingTrace.objects.get(inscription=inscription)


def decode(trace: ReadingTrace):  # noqa: ANN201 - models_ml type, imported lazily
    """The stored blob as a models_ml ReadingTrace (charset from the model version)."""
    from models_ml.htr.trace import ReadingTrace as MLTrace

    return MLTrace.from_bytes(bytes(trace.blob), trace.model_version.charset)


def trace_json(trace: ReadingTrace) -> dict[str, Any]:
    """The API/export shape: the trace's own JSON plus the mapping of model columns to the page image.

    A model-input column ``c`` lies at page x = crop.x + c * scale_x; ``scale`` (crop
    height / model height) is the vertical factor, equal to scale_x unless the line was
    squeezed to the model's maximum width.
    """
    data = decode(trace).to_json()
    crop = trace.crop or {}
    mw, mh = crop.get("model_width") or 1, crop.get("model_height") or 1
    scale_x = (crop.get("width") or mw) / mw
    scale = (crop.get("height") or mh) / mh
    x0 = crop.get("x", 0)
    for a in data["alignment"]:
        a["page_x0"] = round(x0 + a["x0"] * scale_x, 1)
        a["page_x1"] = round(x0 + a["x1"] * scale_x, 1)
    data.update({
        "inscription": trace.inscription_id,
        "model_version": trace.model_version_id,
        "bytes": trace.size,
        "created_at": trace.created_at.isoformat(),
        "image": {**crop, "scale": scale, "scale_x": scale_x, "line": trace.inscription.line_id,
                  "page": trace.inscription.page_id},
    })
    return data


def export_traces(document) -> list[tuple[str, bytes]]:  # noqa: ANN001 - archive.models.Document
    """(``traces/<inscription-id>.json``, JSON bytes) for every trace already stored for the document.

    Only stored traces: an export must not need the weights or torch, and a trace that was
    never looked at was never part of the archive's record."""
    import json

    rows = (ReadingTrace.objects.filter(inscription__document=document)
            .select_related("inscription", "model_version").order_by("inscription_id"))
    return [(f"traces/{row.inscription_id}.json",
             json.dumps(trace_json(row), ensure_ascii=False, sort_keys=True).encode("utf-8")) for row in rows]


def compute_line_trace(inscription: Inscription) -> dict[str, Any]:
    """Recompute how the inscription's own model read its line: LSTM gates, cell norms, CTC alternatives.

    A plain function (not a job): the memory lens asks for one line on demand. The line is
    cropped exactly as ``transcribe_document`` crops it, and the weights are the
    inscription's ModelVersion, checked by sha256 against the row, so the trace is of the
    reading that was stored. Runs on CPU. Returns {"blob", "frames", "crop", "text"}.
    """
    from models_ml import registry
    from models_ml.htr.api import load_recognizer
    from models_ml.htr.trace import compute_trace

    model = inscription.model_version
    path = Path(model.path) if model.path else None
    if path is None or not (path / registry.WEIGHTS).exists():
        raise FileNotFoundError(f"the weights of {model} are not in the model store here ({model.path or 'no path'})")
    card = registry.read_card(path)
    if card.get("sha256") != model.sha256:
        raise registry.ModelError(f"the model directory {path} no longer holds the weights of {model} (sha256 differs)")
    rec = load_recognizer(path, "cpu")  # verifies the weights' sha256 against the card on load
    line = inscription.line
    crop = crop_line_image(page_image(line.page), line)
    arr = rec.preprocess(crop)
    trace = compute_trace(rec.model, arr, rec.charset.chars)
    x, y, _, _ = line.bbox()
    x, y = crop.info.get("origin", (x, y))  # a polygon crop starts at its padded box
    return {
        "blob": trace.to_bytes(),
        "frames": trace.frames,
        "text": "".join(a["char"] for a in trace.alignment),
        "crop": {"x": max(0, x), "y": max(0, y), "width": crop.width, "height": crop.height,
                 "angle": crop.info.get("angle", 0.0),
                 "model_width": int(arr.shape[1]), "model_height": int(arr.shape[0])},
    }
