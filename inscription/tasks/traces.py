"""Reading traces for the memory lens: how a stored inscription's own model read its line."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from inscription.models import Inscription
from inscription.tasks.lines import crop_line_image, page_image


def compute_line_trace(inscription: Inscription) -> dict[str, Any]:
    """Recompute how the inscription's own model read its line: LSTM gates, cell norms, CTC alternatives.

    A plain function (not a job): the memory lens asks for one line on demand. The line is
    cropped exactly as ``transcribe_document`` crops it, and the weights are the
    inscription's ModelVersion, checked by sha256 against the row, so the trace is of the
    reading that was stored. Runs on CPU. Returns {"blob", "frames", "crop", "text"}.
    """
    from models_ml import registry
    from models_ml.htr.api import load_recognizer
    from models_ml.htr.data import preprocess
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
    arr = preprocess(crop, rec.height)
    trace = compute_trace(rec.model, arr, rec.charset.chars)
    x, y, _, _ = line.bbox()
    return {
        "blob": trace.to_bytes(),
        "frames": trace.frames,
        "text": "".join(a["char"] for a in trace.alignment),
        "crop": {"x": max(0, x), "y": max(0, y), "width": crop.width, "height": crop.height,
                 "model_width": int(arr.shape[1]), "model_height": int(arr.shape[0])},
    }
