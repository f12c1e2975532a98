"""Batch jobs: one parent, one child per document, summed-up state, cancel all; the same over the API.

No worker here (the services and the parent's summing are what is tested; tests/curation/test_batch_worker.py
runs a batch through a real worker)."""
from __future__ import annotations

import pytest

from tests.inscription.helpers import make_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def docs(collection):
    from archive.models import Document

    made = []
    for i in range(3):
        d = Document.objects.create(collection=collection, title=f"Letter {i + 1}")
        make_page(d)
        made.append(d)
    Document.objects.create(collection=collection, title="Empty folder")  # no pages: skipped
    return made


def test_a_batch_has_one_child_per_document_and_skips_those_without_pages(collection, docs, users):
    from inscription.services.batches import start_batch
    from jobs.models import Job

    parent = start_batch("transcribe", collection, user=users["curator"], params={"decoder": "greedy"})
    assert parent.is_batch and parent.task_name == "" and parent.document is None
    kids = list(parent.children.order_by("document__title"))
    assert [k.document.title for k in kids] == ["Letter 1", "Letter 2", "Letter 3"]
    assert all(k.kind == "transcribe" and k.parameters["decoder"] == "greedy" and k.task_name for k in kids)
    assert parent.progress_total == 3
    assert parent.result["skipped"] == [{"document": parent.result["skipped"][0]["document"], "title": "Empty folder",
                                         "reason": "no pages"}]
    assert Job.objects.count() == 4


def test_the_parent_sums_up_its_children(collection, docs, users):
    from inscription.services.batches import refresh_batch, start_batch
    from jobs.models import JobState

    parent = start_batch("segment", collection, user=users["curator"], documents=[d.pk for d in docs[:2]])
    a, b = parent.children.order_by("id")
    a.state, a.result = JobState.SUCCEEDED, {"pages": 1, "lines_created": 4}
    a.save()
    parent = refresh_batch(parent)
    assert (parent.state, parent.progress_done, parent.progress_total) == (JobState.RUNNING, 1, 2)
    b.state, b.error = JobState.FAILED, "ValueError: no ink\n\ntraceback"
    b.save()
    parent = refresh_batch(parent)
    assert parent.state == JobState.FAILED
    assert parent.progress_message == "1 of 2 documents succeeded, 1 failed"
    assert "Letter 2: ValueError: no ink" in parent.error
    assert [d["state"] for d in parent.result["documents"]] == ["succeeded", "failed"]


def test_cancel_all_cancels_every_queued_child(collection, docs, users):
    from inscription.services.batches import cancel_batch, start_batch
    from jobs.models import JobState

    parent = start_batch("transcribe", collection, user=users["curator"], documents=[d.pk for d in docs])
    parent = cancel_batch(parent)
    assert set(parent.children.values_list("state", flat=True)) == {JobState.CANCELLED}
    assert parent.state == JobState.CANCELLED and parent.cancel_requested


@pytest.mark.parametrize("documents, code", [([999999], "bad_target"), (["x"], "bad_parameters")])
def test_bad_batches_store_nothing(collection, docs, users, documents, code):
    from inscription.services.batches import start_batch
    from jobs.models import Job
    from palimpsest.errors import InputError

    with pytest.raises(InputError) as err:
        start_batch("transcribe", collection, user=users["curator"], documents=documents)
    assert err.value.get_codes() == code
    assert Job.objects.count() == 0


def test_a_batch_whose_documents_cannot_take_the_job_stores_nothing(collection, users):
    from archive.models import Document
    from inscription.services.batches import start_batch
    from jobs.models import Job
    from palimpsest.errors import InputError

    d = Document.objects.create(collection=collection, title="Only text")
    with pytest.raises(InputError, match="None of these documents"):
        start_batch("train", collection, user=users["curator"], documents=[d.pk])
    assert Job.objects.count() == 0


def test_batch_api(client_for, collection, docs):
    from jobs.models import Job

    url = f"/api/v1/collections/{collection.slug}/batch/"
    r = client_for("curator").post(url, {"kind": "transcribe", "documents": [docs[0].pk, docs[2].pk]}, format="json")
    assert r.status_code == 202, r.content
    body = r.json()
    assert r["Location"] == body["url"] and len(body["children"]) == 2
    child = client_for("curator").get(f"/api/v1/jobs/{body['children'][0]}/").json()
    assert child["parent"] == body["id"] and child["document"] == docs[0].pk
    r = client_for("curator").post(f"/api/v1/jobs/{body['id']}/cancel/")
    assert r.status_code == 202 and r.json()["state"] == "cancelled"
    n = Job.objects.count()
    assert client_for("viewer").post(url, {"kind": "transcribe"}, format="json").status_code == 403
    assert client_for("stranger").post(url, {"kind": "transcribe"}, format="json").status_code == 404
    r = client_for("curator").post(url, {"kind": "export"}, format="json")
    assert r.status_code == 400 and r.json()["error"]["code"]
    assert Job.objects.count() == n


def test_batch_from_the_collection_page(collection, docs, users):
    from django.test import Client

    from jobs.models import Job

    web = Client()
    web.force_login(users["curator"])
    r = web.post(f"/c/{collection.slug}/batch/", {"kind": "transcribe", "scope": "selected",
                                                   "documents": [docs[0].pk, docs[1].pk], "decoder": "beam"})
    parent = Job.objects.get(parent__isnull=True)
    assert r.status_code == 302 and r["Location"] == f"/jobs/{parent.pk}/"
    assert sorted(parent.children.values_list("document_id", flat=True)) == [docs[0].pk, docs[1].pk]
    page = web.get(f"/jobs/{parent.pk}/").content.decode()
    assert "Documents in this batch" in page and "Letter 1" in page and "Cancel all" in page
    r = web.post(f"/c/{collection.slug}/batch/", {"kind": "transcribe", "scope": "selected"}, follow=True)
    assert "select documents first" in r.content.decode()
    viewer = Client()
    viewer.force_login(users["viewer"])
    assert viewer.post(f"/c/{collection.slug}/batch/", {"kind": "transcribe", "scope": "all"}).status_code == 403
    assert Job.objects.filter(parent__isnull=True).count() == 1
