"""A small archive for the web-interface tests: one scan page, three lines, a machine layer
with per-character confidences, a ground-truth correction, an annotation and a comparison.
Built through the services (the same writes the interface makes)."""
from __future__ import annotations

from dataclasses import dataclass

from PIL import Image, ImageDraw


@dataclass
class Seed:
    document: object
    page: object
    lines: list
    machine: object
    model: object
    annotation: object | None = None


def page_image(width: int = 600, height: int = 150) -> Image.Image:
    image = Image.new("L", (width, height), 245)
    draw = ImageDraw.Draw(image)
    for i, text in enumerate(("the letters arrived", "on tuesday morning", "and were read aloud")):
        draw.text((20, 12 + 45 * i), text, fill=20)
    return image


def build(collection, owner, with_extras: bool = True) -> Seed:
    from archive.models import Document
    from inscription.models import LayerKind
    from inscription.services.inscriptions import LineText, create_inscription, write_page_lines
    from inscription.services.layers import GROUND_TRUTH, get_or_create_layer, machine_layer
    from tests.inscription.helpers import fake_model_version, make_lines, make_page

    document = Document.objects.create(collection=collection, title="Letter from the front", created_by=owner)
    page = make_page(document, page_image())
    lines = make_lines(page, 3, height=45)
    from jobs.models import ModelVersion

    model = ModelVersion.objects.filter(name="htr-test", version="1.0").first() or fake_model_version()
    machine = machine_layer(document, model, {"decoder": "greedy"})
    readings = []
    for line, text in zip(lines, ("the lettors arrived", "on tuesday mornin", "and were read aloud"), strict=True):
        confs = [0.97] * len(text)
        confs[0] = 0.41
        readings.append(LineText(line=line, text=text, confidence=0.9, char_confidences=confs))
    write_page_lines(layer=machine, page=page, readings=readings, model_version=model, parameters={"decoder": "greedy"})
    seed = Seed(document, page, lines, machine, model)
    if with_extras:
        gt = get_or_create_layer(document, GROUND_TRUTH, LayerKind.GROUND_TRUTH, user=owner)
        ins = create_inscription(layer=gt, text="the letters arrived", line=lines[0], user=owner)
        from inscription.services.annotations import create_annotation

        seed.annotation = create_annotation(owner, {
            "motivation": "commenting",
            "body": [{"type": "TextualBody", "value": "A word the machine misread.", "purpose": "commenting"}],
            "target": [{"source": f"inscription:{ins.pk}", "selector": [{"type": "TextPositionSelector", "start": 4, "end": 11}]}],
        })
    return seed
