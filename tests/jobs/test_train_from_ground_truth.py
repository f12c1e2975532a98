"""Training from a collection's ground truth on a REAL worker: imported ALTO lines plus a curator's
corrections in, a registered child model (parent, card, grown charset, curve) out, made the default."""
from __future__ import annotations

from pathlib import Path

import pytest

from jobs.models import JobState, ModelVersion
from tests.jobs.conftest import add_pages, final_job, render_pages

pytestmark = [pytest.mark.jobs, pytest.mark.django_db(transaction=True)]

FIX = Path(__file__).resolve().parents[1] / "ml" / "fixtures" / "groundtruth"


@pytest.fixture
def tiny_htr(tmp_path):
    """A tiny randomly initialised recognizer, registered (ASCII charset: no French letters)."""
    from jobs.services.models import register_model_dir
    from models_ml import registry
    from models_ml.htr.train import TrainConfig, base_card, new_model
    from models_ml.synth.sources import CHARSET

    model, charset = new_model(32, CHARSET, channels=[8, 16], pools=[[2, 2], [2, 2]], lstm_hidden=16)
    card = base_card(model.cfg, charset, TrainConfig(), "htr-tiny", {"source": "random (test)"}, None, "test")
    registry.save_model_dir(tmp_path / "htr-tiny", model.state_dict(), card)
    return register_model_dir(tmp_path / "htr-tiny")[0]


@pytest.fixture
def ground_truth(collection, scan_document, users):
    """An ALTO file imported as ground truth (2 lines, French letters) and 3 lines a curator corrected."""
    from exchange.formats.xml_import import import_xml
    from inscription.services.inscriptions import create_inscription
    from inscription.services.layers import get_or_create_layer

    imported = import_xml(collection, users["curator"], [("will_0001-0.xml", (FIX / "will_0001-0.xml").read_bytes())],
                          [("will_0001-0.png", (FIX / "will_0001-0.png").read_bytes())], ground_truth=True)
    rendered = render_pages(1, 3, seed=5)
    (page,) = add_pages(scan_document, rendered)
    layer = get_or_create_layer(scan_document, "corrections")
    for line, gt in zip(page.lines.order_by("order"), rendered[0][1], strict=True):
        create_inscription(layer=layer, line=line, text=gt.text, user=users["curator"])
    return imported


def test_a_collection_trains_a_model_from_its_ground_truth_and_makes_it_its_default(
        start_worker, collection, ground_truth, tiny_htr, users, client_for):
    from jobs.services.jobs import create_job

    worker = start_worker("train-gt")
    job = create_job("train", collection, user=users["curator"],
                     params={"model": tiny_htr.pk, "epochs": 2, "name": "poilus-ft"})
    assert job.parameters["layer"] is None  # no layer: the collection's whole ground truth
    job = final_job(job.pk, worker)
    assert job.state == JobState.SUCCEEDED, job.error
    assert job.result["train_lines"] + job.result["validation_lines"] == 5  # 2 imported + 3 corrected
    assert job.result["ground_truth"] == "collection 'Letters'"
    assert set(job.result["charset_added"]) >= {"è", "à", "œ", "é"}
    child = ModelVersion.objects.get(pk=job.result["model_version"])
    assert child.parent_id == tiny_htr.pk and child.training_job_id == job.pk and child.name == "poilus-ft"
    assert child.card["parent"]["sha256"] == tiny_htr.sha256
    assert "œ" in child.card["charset"] and child.card["charset"].startswith(tiny_htr.card["charset"])
    assert job.progress_done == job.progress_total == 2
    plot = client_for("viewer").get(f"/api/v1/models/{child.pk}/plot/")
    assert plot.status_code == 200 and b"".join(plot.streaming_content).startswith(b"\x89PNG")

    refused = client_for("viewer").post(f"/api/v1/collections/{collection.slug}/default-model/", {"model": child.pk},
                                        format="json")
    assert refused.status_code == 403
    chosen = client_for("curator").post(f"/api/v1/collections/{collection.slug}/default-model/", {"model": child.pk},
                                        format="json")
    assert chosen.status_code == 200, chosen.content
    assert chosen.json()["default_model"] == child.pk
    collection.refresh_from_db()
    assert collection.default_model_id == child.pk


def test_default_model_refuses_what_is_not_a_recognizer(collection, client_for):
    bad = client_for("curator").post(f"/api/v1/collections/{collection.slug}/default-model/", {"model": 999999},
                                     format="json")
    assert bad.status_code == 400
    collection.refresh_from_db()
    assert collection.default_model_id is None
    cleared = client_for("curator").post(f"/api/v1/collections/{collection.slug}/default-model/", {"model": None},
                                         format="json")
    assert cleared.status_code == 200 and cleared.json()["default_model"] is None
