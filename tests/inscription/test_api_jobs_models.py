"""REST API of jobs and model versions (no worker here: the Celery message is captured, not sent)."""
from __future__ import annotations

import json

import pytest

from jobs.models import Job, JobState
from tests.inscription.helpers import fake_model_version

EVERYONE = ["anonymous", "stranger", "viewer", "curator", "owner"]


def write_status(who: str, ok: int) -> set[int]:
    return {ok} if who in ("curator", "owner") else {401, 403} if who == "anonymous" else {404} if who == "stranger" else {403}


@pytest.fixture
def job(collection, document, users):
    return Job.objects.create(kind="transcribe", collection=collection, document=document, requested_by=users["curator"])


@pytest.mark.parametrize("who", EVERYONE)
def test_post_job_answers_202_with_location_and_sends_after_commit(client_for, who, collection, document,
                                                                  django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client_for(who).post(
            "/api/v1/jobs/", {"kind": "transcribe", "collection": collection.slug, "document": document.pk,
                              "parameters": {"decoder": "greedy", "pages_per_batch": 2}}
        )
    assert response.status_code in write_status(who, 202), response.content
    if response.status_code == 202:
        body = response.json()
        assert response["Location"] == body["url"] and body["url"].endswith(f"/api/v1/jobs/{body['id']}/")
        assert body["state"] == "queued" and body["parameters"]["decoder"] == "greedy"
        job = Job.objects.get(pk=body["id"])
        assert job.task_name == "inscription.tasks.transcribe_document" and job.celery_task_id
        assert len(callbacks) == 1  # the message goes out only once the row is committed
    else:
        assert Job.objects.count() == 0 and len(callbacks) == 0


@pytest.mark.parametrize(
    "payload, code",
    [
        ({"kind": "transcribe", "collection": "letters", "parameters": {"decoder": "viterbi"}}, "bad_parameters"),
        ({"kind": "transcribe", "collection": "letters", "parameters": {"batch_size": 0}}, "bad_parameters"),
        ({"kind": "transcribe", "collection": "letters", "parameters": {"pages_per_batch": 100}}, "bad_parameters"),
        ({"kind": "transcribe", "collection": "letters", "parameters": {"lm": True}}, "bad_parameters"),
        ({"kind": "transcribe", "collection": "letters", "parameters": {"model": 999999}}, "bad_parameters"),
        ({"kind": "segment", "collection": "letters"}, "bad_target"),
        ({"kind": "train", "collection": "letters", "parameters": {"epochs": 0}}, "bad_parameters"),
        ({"kind": "train", "collection": "letters", "parameters": {"layer": 999999}}, "bad_parameters"),
        ({"kind": "transcribe", "collection": "letters", "parameters": {"pages": [999999]}}, "bad_parameters"),
        ({"kind": "fly", "collection": "letters"}, "not a valid choice"),
    ],
)
def test_bad_job_requests_are_400_and_queue_nothing(client_for, collection, payload, code):
    response = client_for("curator").post("/api/v1/jobs/", payload)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert code in json.dumps(error)
    assert Job.objects.count() == 0


def test_a_document_of_another_collection_is_not_found(client_for, collection, users):
    from archive.models import Collection, Document

    other = Collection.objects.create(slug="other", title="Other", owner=users["stranger"])
    foreign = Document.objects.create(collection=other, title="Not yours")
    response = client_for("curator").post("/api/v1/jobs/", {"kind": "transcribe", "collection": "letters", "document": foreign.pk})
    assert response.status_code == 404 and Job.objects.count() == 0


@pytest.mark.parametrize("who", EVERYONE)
def test_poll_and_list_jobs(client_for, who, job, collection):
    client = client_for(who)
    detail = client.get(f"/api/v1/jobs/{job.pk}/")
    listing = client.get("/api/v1/jobs/", {"state": "queued", "kind": "transcribe", "collection": collection.slug})
    if who in ("viewer", "curator", "owner"):
        assert detail.status_code == 200 and detail.json()["progress_percent"] == 0
        assert [j["id"] for j in listing.json()["results"]] == [job.pk]
        assert client.get("/api/v1/jobs/", {"state": "running"}).json()["results"] == []
        assert client.get("/api/v1/jobs/", {"document": job.document_id}).json()["count"] == 1
    else:
        assert detail.status_code == 404
        assert listing.json()["results"] == []


@pytest.mark.parametrize("who", EVERYONE)
def test_cancel(client_for, who, job):
    response = client_for(who).post(f"/api/v1/jobs/{job.pk}/cancel/")
    assert response.status_code in write_status(who, 202)
    job.refresh_from_db()
    if response.status_code == 202:
        # a queued job is cancelled at once; the worker that gets its message later does nothing
        assert job.state == JobState.CANCELLED and job.cancel_requested
        again = client_for(who).post(f"/api/v1/jobs/{job.pk}/cancel/")
        assert again.status_code == 409 and again.json()["error"]["code"] == "job_final"
    else:
        assert job.state == JobState.QUEUED and not job.cancel_requested


def test_cancel_of_a_running_job_is_cooperative(client_for, job):
    Job.objects.filter(pk=job.pk).update(state=JobState.RUNNING)
    response = client_for("curator").post(f"/api/v1/jobs/{job.pk}/cancel/")
    assert response.status_code == 202 and response.json()["state"] == "running" and response.json()["cancel_requested"]


@pytest.mark.parametrize("who", EVERYONE)
def test_models_are_readable_by_everyone(client_for, who, db, settings, tmp_path):
    parent = fake_model_version(version="1.0", sha="1" * 64)
    child = fake_model_version(version="1.1", sha="2" * 64)
    child.parent = parent
    child.metrics = {"val_cer": 0.05}
    child.path = str(tmp_path)
    child.save()
    client = client_for(who)
    listing = client.get("/api/v1/models/").json()["results"]
    assert {m["version"] for m in listing} == {"1.0", "1.1"}
    body = client.get(f"/api/v1/models/{child.pk}/").json()
    assert body["parent"]["id"] == parent.pk and body["metrics"] == {"val_cer": 0.05} and body["plot_url"] is None
    assert client.get(f"/api/v1/models/{child.pk}/plot/").status_code == 404
    from tests.conftest import png_bytes

    (tmp_path / "curves.png").write_bytes(png_bytes())
    plot = client.get(f"/api/v1/models/{child.pk}/plot/")
    assert plot.status_code == 200 and plot["Content-Type"] == "image/png"
    assert b"".join(plot.streaming_content).startswith(b"\x89PNG")
    assert client.get(f"/api/v1/models/{child.pk}/").json()["plot_url"].endswith(f"/models/{child.pk}/plot/")
    assert client.post("/api/v1/models/", {}).status_code in (401, 403, 405)


def test_a_transcribe_job_without_a_model_takes_the_collections_default(client_for, collection, document, users):
    """The default the document page applied is the parameter check's now, so the API applies it too."""
    from archive.services.collections import set_default_model
    from tests.inscription.helpers import fake_model_version

    model = fake_model_version()
    set_default_model(collection, model, users["owner"])
    response = client_for("curator").post("/api/v1/jobs/", {"kind": "transcribe", "collection": collection.slug,
                                                            "document": document.pk})
    assert response.status_code == 202, response.content
    assert response.json()["parameters"]["model"] == model.pk
    named = client_for("curator").post("/api/v1/jobs/", {"kind": "transcribe", "collection": collection.slug,
                                                         "document": document.pk, "parameters": {"model": ""}}, format="json")
    assert named.json()["parameters"]["model"] == model.pk


@pytest.mark.parametrize("decoding, sent, expected", [
    ({"default": "beam+lm", "lm": "lm.json: character 5-gram"}, {}, ("beam", True)),  # the card's default
    ({"default": "beam+lm"}, {}, ("beam", False)),            # a card that names no LM: beam search without one
    ({"default": "beam"}, {}, ("beam", False)),
    ({}, {}, ("greedy", False)),                              # a card without a decoding section
    ({"default": "beam+lm", "lm": "lm.json"}, {"decoder": "greedy"}, ("greedy", False)),  # the request wins
    ({"default": "beam+lm", "lm": "lm.json"}, {"decoder": ""}, ("beam", True)),           # the form's "model's default"
    ({"default": "greedy"}, {"decoder": "beam+lm"}, ("beam", True)),
])
def test_a_transcribe_job_without_a_decoder_reads_with_the_model_cards_default(client_for, collection, document,
                                                                                decoding, sent, expected):
    from tests.inscription.helpers import fake_model_version

    model = fake_model_version()
    model.card = {"decoding": decoding} if decoding else {}
    model.save(update_fields=["card"])
    response = client_for("curator").post("/api/v1/jobs/", {"kind": "transcribe", "collection": collection.slug,
                                                            "document": document.pk, "parameters": {"model": model.pk, **sent}},
                                          format="json")
    assert response.status_code == 202, response.content
    params = response.json()["parameters"]
    assert (params["decoder"], params["lm"]) == expected


def test_a_transcribe_job_with_neither_model_nor_decoder_takes_the_shipped_models_default(client_for, collection, document):
    from models_ml import registry

    shipped = registry.read_card(registry.default_model_dir()).get("decoding") or {}
    response = client_for("curator").post("/api/v1/jobs/", {"kind": "transcribe", "collection": collection.slug,
                                                            "document": document.pk})
    assert response.status_code == 202, response.content
    params = response.json()["parameters"]
    want = ("beam", True) if shipped.get("default") == "beam+lm" and shipped.get("lm") else \
        ("beam", False) if str(shipped.get("default", "")).startswith("beam") else ("greedy", False)
    assert (params["decoder"], params["lm"]) == want


def test_lm_without_a_decoder_still_needs_the_beam_decoder(client_for, collection, document):
    response = client_for("curator").post("/api/v1/jobs/", {"kind": "transcribe", "collection": collection.slug,
                                                            "document": document.pk, "parameters": {"lm": True}}, format="json")
    assert response.status_code == 400 and "beam" in response.json()["error"]["message"]
