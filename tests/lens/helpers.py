"""Builders for the memory-lens tests: synthetic handwritten pages and machine readings of them.

Readings are written the way ``inscription.tasks.transcribe_document`` writes them (same
page opening, same crop helper, same LineText conversion), only without a worker.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def synthetic_page(texts: list[str], font: Path, seed: int = 0, height: int = 40, margin: int = 24):
    """A page with one rendered line per text; returns (image, [(x, y, w, h)])."""
    from models_ml.synth.render import render_line

    rng = np.random.default_rng(seed)
    crops = [render_line(t, font, rng, context_p=0.0, target_height=height) for t in texts]
    width = max(c.width for c in crops) + 2 * margin
    page = Image.new("L", (width, margin + sum(c.height + 12 for c in crops) + margin), 250)
    boxes, y = [], margin
    for i, crop in enumerate(crops):
        x = margin + (i * 7) % 20
        page.paste(crop.convert("L"), (x, y))
        boxes.append((x, y, crop.width, crop.height))
        y += crop.height + 12
    return page, boxes


def add_lines(page, boxes):
    from archive.models import GeometrySource, Line

    return [
        Line.objects.create(page=page, polygon=[[x, y], [x + w, y], [x + w, y + h], [x, y + h]],
                            baseline=[[x, y + h - 6], [x + w, y + h - 6]], order=i, source=GeometrySource.IMPORT)
        for i, (x, y, w, h) in enumerate(boxes)
    ]


def read_lines(document, page, lines, model, decoder: str = "greedy"):
    """Machine inscriptions of ``lines`` by ``model`` (a registered ModelVersion with weights on disk)."""
    from inscription.services.inscriptions import write_page_lines
    from inscription.services.layers import machine_layer
    from inscription.services.line_images import crop_line_image, page_image
    from inscription.tasks.lines import line_text
    from models_ml.htr.api import load_recognizer

    rec = load_recognizer(model.path, "cpu")
    image = page_image(page)
    readings = rec.recognize([crop_line_image(image, ln) for ln in lines], decoder=decoder)
    layer = machine_layer(document, model, {"decoder": decoder})
    write_page_lines(layer=layer, page=page, readings=[line_text(ln, r) for ln, r in zip(lines, readings, strict=True)],
                     model_version=model, parameters={"decoder": decoder})
    from inscription.models import Inscription

    return layer, list(Inscription.objects.filter(layer=layer, is_current=True).order_by("line__order"))


# --------------------------------------------------------------------------- the correction loop
VOCAB = ("the", "letters", "arrived", "on", "tuesday", "and", "were", "read", "aloud", "in", "kitchen", "by", "my",
         "grandmother", "who", "kept", "them", "tin", "box", "under", "stairs", "for", "forty", "years")


def vocab_texts(n: int, seed: int, words: int = 3) -> list[str]:
    """Short lines from a small vocabulary (a small model can learn it in a test's time budget)."""
    rng = np.random.default_rng(seed)
    return [" ".join(VOCAB[int(i)] for i in rng.integers(0, len(VOCAB), int(rng.integers(1, words + 1)))) for _ in range(n)]
