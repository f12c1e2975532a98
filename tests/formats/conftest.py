"""A document with two pages, lines, a machine layer, a human ground-truth layer with history, and annotations."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import png_bytes


def make_page(document, order: int, width: int = 600, height: int = 400, colour: int = 250):
    from archive.models import Page
    from exchange.formats.images import StoredFiles, check_image

    blob = StoredFiles().blob(check_image(png_bytes(width, height, colour), "page"))
    return Page.objects.create(
        document=document, order=order, image=blob, width=width, height=height,
        original_filename=f"scan_{order + 1:03d}.png", label=f"f. {order + 1}r",
    )


@pytest.fixture
def model_version(db):
    from jobs.models import ModelVersion

    return ModelVersion.objects.create(
        name="htr-default", version="1.0", task="htr", path="models_ml/store/htr-default", sha256="ab" * 32,
        created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), card={"name": "htr-default", "version": "1.0"},
    )


@pytest.fixture
def sample_document(collection, users, model_version):
    """Document 'Letter to Anna': 2 pages × 3 lines, machine layer (greedy) + ground truth with a corrected line."""
    from archive.models import Document, GeometrySource, Line, Region
    from inscription.models import LayerKind
    from inscription.services.inscriptions import create_inscription
    from inscription.services.layers import get_or_create_layer, machine_layer

    doc = Document.objects.create(
        collection=collection, title="Letter to Anna", creator="Marie K.", date="12 May 1921", year_from=1921, year_to=1921,
        place="Lyon", language="fr", rights="CC BY 4.0", source="Family papers", description="A letter & more <b>.",
        created_by=users["owner"],
    )
    machine = machine_layer(doc, model_version, {"decoder": "greedy"})
    truth = get_or_create_layer(doc, "ground truth", LayerKind.GROUND_TRUTH, user=users["curator"])
    words = [["Ma chère Anna,", "je t'écris de Lyon", "où il pleut."], ["Nous pensons", "à toi chaque jour.", "Marie"]]
    for p in range(2):
        page = make_page(doc, p, colour=250 - p)
        region = Region.objects.create(page=page, polygon=[[40, 40], [560, 40], [560, 360], [40, 360]], order=0)
        for i, truth_text in enumerate(words[p]):
            y = 60 + i * 100
            line = Line.objects.create(
                page=page, region=region, order=i, source=GeometrySource.MACHINE, model_version=model_version,
                polygon=[[50, y], [550, y], [550, y + 60], [50, y + 60]], baseline=[[50, y + 50], [550, y + 48]],
            )
            read = truth_text.replace("è", "e").replace("é", "e")
            n = len(read)
            create_inscription(
                layer=machine, line=line, text=read, model_version=model_version, parameters={"decoder": "greedy"},
                confidence=0.8, char_confidences=[round(0.5 + (k % 5) / 10, 2) for k in range(n)],
                char_frames=[[k * 2, k * 2 + 1] for k in range(n)], char_columns=[[k * 10, k * 10 + 9] for k in range(n)],
            )
            first = create_inscription(layer=truth, line=line, text=read, user=users["curator"])
            if read != truth_text:
                create_inscription(layer=truth, line=line, text=truth_text, user=users["owner"])
            elif i == 2:
                create_inscription(layer=truth, line=line, text=truth_text + " (signed)", user=users["owner"])
                create_inscription(layer=truth, line=line, text=first.text, user=users["curator"], restored_from=first,
                                   action="restore")
    return doc


@pytest.fixture
def annotated_document(sample_document, users):
    """The sample document plus curators' annotations (image region + text span, one edited) and a reflection."""
    from inscription.models import Inscription
    from inscription.services.annotations import create_annotation, edit_annotation
    from inscription.services.reflections import create_reflection, edit_reflection

    page = sample_document.pages.order_by("order").first()
    ins = Inscription.objects.filter(layer__kind="ground_truth", page=page, is_current=True).order_by("line__order").first()
    region = create_annotation(users["curator"], {
        "motivation": "commenting",
        "body": [{"type": "TextualBody", "value": "A stain over the greeting.", "format": "text/plain", "language": "en"}],
        "target": [{"source": f"page:{page.pk}", "selector": [{"type": "FragmentSelector", "value": "xywh=50,60,200,60"}]}],
    })
    span = create_annotation(users["owner"], {
        "motivation": "identifying",
        "body": [{"type": "TextualBody", "value": "Anna", "purpose": "tagging"},
                 {"type": "Link", "source": f"document:{sample_document.pk}", "purpose": "linking"}],
        "target": [{"source": f"inscription:{ins.pk}", "selector": [{"type": "TextQuoteSelector", "exact": "Anna"}]}],
    })
    edit_annotation(region, users["curator"], {"body": [{"type": "TextualBody", "value": "A water stain over the greeting."}]})
    reflection = create_reflection(users["curator"], sample_document.collection, "On accents",
                                   f"The machine drops accents [@annotation:{span.pk}].")
    edit_reflection(reflection, users["owner"],
                    body=f"The machine drops accents [@annotation:{span.pk}], see [@document:{sample_document.pk}].")
    return sample_document
