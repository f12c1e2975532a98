"""An archive to search: two collections (one the reader cannot see), machine and human lines."""
from __future__ import annotations

import pytest

from tests.inscription.helpers import fake_model_version, make_lines, make_page
from tests.ui.conftest import _fast_passwords, htr_model, sessions, start_worker  # noqa: F401 - browser test fixtures, shared by import


@pytest.fixture
def archive(users, collection):
    """letters (readable by viewer): a machine layer written the way a job writes it (bulk), a ground-truth layer.
    secret (stranger's own): lines with the same words, never visible to the viewer."""
    from archive.models import Collection, Document
    from inscription.models import LayerKind
    from inscription.services.inscriptions import LineText, write_pages_lines
    from inscription.services.layers import get_or_create_layer, machine_layer

    model = fake_model_version()
    doc = Document.objects.create(collection=collection, title="Testament de Jean Dupont", creator="Jean Dupont",
                                  date="1916", year_from=1916, year_to=1916, created_by=users["owner"])
    page = make_page(doc)
    lines = make_lines(page, 3)
    layer = machine_layer(doc, model, {"decoder": "greedy"})
    texts = ["Je lègue à mon fils aîné", "ma maison de Pâques", "fait à Verdun le testamert"]
    readings = []
    for ln, text in zip(lines, texts, strict=True):
        columns = [[i * 10, i * 10 + 10] for i in range(len(text))]
        extra = {"words": []}
        if "testamert" in text:
            start = text.index("testamert")
            extra["words"] = [{"columns": [start * 10, (start + 9) * 10],
                               "alternatives": [["testamert", 0.55], ["testament", 0.35], ["testamont", 0.05]]}]
        readings.append(LineText(line=ln, text=text, confidence=0.7, char_columns=columns,
                                 char_confidences=[0.7] * len(text), char_frames=[[0, 1]] * len(text), extra=extra))
    write_pages_lines(layer=layer, pages=[(page, readings)], model_version=model, parameters={"decoder": "greedy"})
    gt = get_or_create_layer(doc, "ground truth", LayerKind.GROUND_TRUTH)

    secret = Collection.objects.create(slug="secret", title="Secret", owner=users["stranger"])
    sdoc = Document.objects.create(collection=secret, title="Testament secret", year_from=1870)
    spage = make_page(sdoc)
    slayer = machine_layer(sdoc, model, {"decoder": "greedy"})
    write_pages_lines(layer=slayer, pages=[(spage, [LineText(line=ln, text="ma maison de Pâques et le testament")
                                                    for ln in make_lines(spage, 2)])], model_version=model)
    return {"doc": doc, "page": page, "lines": lines, "layer": layer, "gt": gt, "model": model, "secret": secret,
            "sdoc": sdoc}
