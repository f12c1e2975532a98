"""Layout fixtures: a page of three lines with a machine reading and a human correction of each."""
from __future__ import annotations

import pytest


@pytest.fixture
def laid_out(collection, users):
    """A 400×120 page, three full-width lines, a machine layer and a ground-truth layer with texts."""
    from archive.models import Document
    from inscription.models import LayerKind
    from inscription.services.inscriptions import create_inscription
    from inscription.services.layers import get_or_create_layer
    from tests.inscription.helpers import fake_model_version, make_lines, make_page

    document = Document.objects.create(collection=collection, title="Will", created_by=users["owner"])
    page = make_page(document)
    lines = make_lines(page, 3, height=40)
    model = fake_model_version()
    machine = get_or_create_layer(document, "htr-test 1.0", LayerKind.MACHINE, model_version=model)
    truth = get_or_create_layer(document, "ground truth", LayerKind.GROUND_TRUTH, user=users["curator"])
    texts = ["je lègue ma maison à mon frère", "et mes livres à ma soeur", "fait à Paris le 3 mai 1916"]
    machine_ins, truth_ins = [], []
    for line, text in zip(lines, texts, strict=True):
        machine_ins.append(create_inscription(layer=machine, text=text.replace("è", "e"), line=line, model_version=model))
        truth_ins.append(create_inscription(layer=truth, text=text, line=line, user=users["curator"]))
    return {"document": document, "page": page, "lines": lines, "machine": machine, "truth": truth,
            "machine_ins": machine_ins, "truth_ins": truth_ins, "model": model}


def annotate_span(user, inscription, start: int, end: int, comment: str = "note"):
    from inscription.services.annotations import create_annotation

    return create_annotation(user, {
        "motivation": "commenting",
        "body": [{"type": "TextualBody", "value": comment}],
        "target": [{"source": f"inscription:{inscription.pk}",
                    "selector": [{"type": "TextPositionSelector", "start": start, "end": end}]}],
    })
