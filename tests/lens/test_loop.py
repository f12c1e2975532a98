"""Corrections teach the machine: fine-tune on a curator's corrections of a hand the model reads poorly,
re-read the document with the new model, and see CER fall on the HELD-OUT lines in the drift timeline.

Everything runs through the real jobs (train, transcribe) on a real Celery worker. The base
model is the shipped default; the hand is a held-out synthetic font it never saw. The
figures are printed (run with -s to see them); the only assertion on them is after < before.
"""
from __future__ import annotations

import pytest

from tests.jobs.conftest import final_job
from tests.lens.helpers import add_lines, synthetic_page, vocab_texts

pytestmark = [pytest.mark.slow, pytest.mark.jobs, pytest.mark.django_db(transaction=True)]

HAND = "pinyon-script.woff2"  # a held-out copperplate the default reads poorly (models_ml.synth.sources.HELDOUT_FONTS)
LINES, PER_PAGE = 60, 12
EPOCHS = 10


@pytest.fixture
def base_model(db):
    from jobs.services.models import register_model_dir
    from models_ml import registry

    shipped = registry.default_model_dir()
    if not (shipped / registry.WEIGHTS).exists():
        pytest.skip("the loop test needs the shipped default recognizer (models_ml/store/htr-default/)")
    return register_model_dir(shipped)[0]


def test_corrections_lower_cer_on_held_out_lines(start_worker, base_model, collection, users, client_for):
    from archive.models import Document, Line
    from inscription.models import LayerKind
    from inscription.services.inscriptions import create_inscription
    from inscription.services.layers import GROUND_TRUTH, get_or_create_layer
    from inscription.tasks import is_held_out
    from jobs.models import JobState, ModelVersion
    from jobs.services.jobs import create_job
    from models_ml.synth.sources import fonts_for
    from tests.inscription.helpers import make_page

    font = next(f for f in fonts_for("heldout") if f.name == HAND)
    document = Document.objects.create(collection=collection, title="Letters in an unseen hand", created_by=users["owner"])
    texts = vocab_texts(LINES, seed=42)
    truth = {}
    for p in range(LINES // PER_PAGE):
        chunk = texts[p * PER_PAGE:(p + 1) * PER_PAGE]
        image, boxes = synthetic_page(chunk, font, seed=100 + p, height=36)
        page = make_page(document, image, order=p)
        truth.update({line.pk: t for line, t in zip(add_lines(page, boxes), chunk, strict=True)})

    worker = start_worker("loop")
    first = create_job("transcribe", collection, document=document, user=users["curator"], params={"model": base_model.pk})
    assert final_job(first.pk, worker).state == JobState.SUCCEEDED

    # The curator corrects every line (the corrections are the true texts).
    gt = get_or_create_layer(document, GROUND_TRUTH, LayerKind.GROUND_TRUTH, user=users["curator"])
    for line in Line.objects.filter(pk__in=truth):
        create_inscription(layer=gt, line=line, text=truth[line.pk], user=users["curator"])

    train = create_job("train", collection, document=document, user=users["curator"],
                       params={"layer": gt.pk, "model": base_model.pk, "epochs": EPOCHS, "name": "letters-pinyon"})
    train = final_job(train.pk, worker, timeout=1800)
    assert train.state == JobState.SUCCEEDED, train.error
    held = train.result["held_out"]
    # Held-out lines are chosen by the line id hash and were not trained on.
    assert sorted(held) == sorted(i for i in truth if is_held_out(i, 5)) or (len(held) == 1 and not any(
        is_held_out(i, 5) for i in truth))
    assert train.result["train_lines"] == LINES - len(held) and train.result["validation_lines"] == len(held)
    child = ModelVersion.objects.get(pk=train.result["model_version"])
    assert child.parent_id == base_model.pk

    second = create_job("transcribe", collection, document=document, user=users["curator"], params={"model": child.pk})
    assert final_job(second.pk, worker).state == JobState.SUCCEEDED

    response = client_for("viewer").get(f"/api/v1/documents/{document.pk}/drift/?job={train.pk}")
    assert response.status_code == 200
    data = response.json()
    assert data["restricted_to_lines"] == sorted(held)
    by_model = {lay["model_version"]: lay for lay in data["layers"]}
    before, after = by_model[base_model.pk], by_model[child.pk]
    assert before["lines_compared"] == after["lines_compared"] == len(held)
    assert after["lineage"] == before["lineage"] and after["depth"] == before["depth"] + 1
    transition = next(t for t in data["transitions"] if t["to_model"] == child.pk)
    print(f"\nloop: base {base_model} reads {HAND} at CER {before['cer']:.3f} on {len(held)} held-out lines; "
          f"after fine-tuning on {train.result['train_lines']} corrected lines ({EPOCHS} epochs): CER {after['cer']:.3f}; "
          f"held-out lines remembered {transition['remembered']}, forgotten {transition['forgotten']} "
          f"(all corrected lines: see /d/{document.pk}/drift/)")
    assert after["cer"] < before["cer"]
