"""The web views without a browser: permissions on every view (reads and writes) and empty states.

Rules (archive.permissions): a user who cannot read the collection gets 404; one who can
read but not write gets 403 on every write, and nothing is stored.
"""
from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.ui.seed import build

pytestmark = pytest.mark.django_db


@pytest.fixture
def seed(collection, users):
    return build(collection, users["owner"])


@pytest.fixture
def web(users):
    def make(who: str) -> Client:
        client = Client()
        if who != "anonymous":
            client.force_login(users[who])
        return client

    return make


def read_urls(seed, collection) -> list[str]:
    return [
        f"/c/{collection.slug}/", f"/d/{seed.document.pk}/", f"/p/{seed.page.pk}/", f"/p/{seed.page.pk}/image/",
        f"/p/{seed.page.pk}/thumb/", f"/l/{seed.lines[0].pk}/", f"/l/{seed.lines[0].pk}/history/",
        f"/d/{seed.document.pk}/compare/", f"/reflections/cite/?collection={collection.slug}",
    ]


def write_requests(seed, collection) -> list[tuple[str, dict]]:
    gt = seed.document.layers.get(kind="ground_truth")
    first_version = seed.lines[0].inscriptions.order_by("pk").first()
    return [
        (f"/l/{seed.lines[1].pk}/edit/", {"text": "changed", "layer": seed.machine.pk}),
        (f"/l/{seed.lines[0].pk}/restore/", {"version": first_version.pk}),
        (f"/p/{seed.page.pk}/annotate/", {"target": f'[{{"source": "page:{seed.page.pk}"}}]', "comment": "x"}),
        (f"/d/{seed.document.pk}/jobs/", {"kind": "transcribe"}),
        (f"/d/{seed.document.pk}/compare/", {"left": f"layer:{gt.pk}", "right": f"layer:{seed.machine.pk}", "both": "1"}),
        (f"/c/{collection.slug}/documents/new/", {"title": "New", "kind": "scan"}),
        (f"/c/{collection.slug}/default-model/", {"model": seed.model.pk}),
        ("/reflections/new/", {"collection": collection.slug, "title": "T", "body": "B"}),
        ("/reflections/preview/", {"collection": collection.slug, "body": "B"}),
    ]


def counts():
    from archive.models import Document, Membership
    from inscription.models import Annotation, Comparison, Inscription, Reflection
    from jobs.models import Job

    return tuple(m.objects.count() for m in (Document, Membership, Inscription, Annotation, Comparison, Job, Reflection))


@pytest.mark.parametrize("who", ["owner", "curator", "viewer"])
def test_members_can_read_every_page(seed, collection, web, who):
    client = web(who)
    for url in read_urls(seed, collection):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("who", ["stranger", "anonymous"])
def test_outsiders_get_404_on_a_private_collection(seed, collection, web, who):
    client = web(who)
    for url in read_urls(seed, collection):
        assert client.get(url).status_code == 404, url
    for url, data in write_requests(seed, collection):
        assert client.post(url, data).status_code == 404, url


def test_viewer_writes_are_refused_and_nothing_is_stored(seed, collection, web):
    client = web("viewer")
    before = counts()
    for url, data in write_requests(seed, collection):
        assert client.post(url, data).status_code == 403, url
    assert client.get(f"/c/{collection.slug}/members/").status_code == 403
    assert client.post(f"/c/{collection.slug}/members/", {"username": "viewer", "role": "owner", "action": "set"}).status_code == 403
    assert counts() == before
    collection.refresh_from_db()
    assert collection.default_model_id is None


def test_viewer_pages_show_no_edit_controls(seed, collection, web):
    client = web("viewer")
    workspace = client.get(f"/p/{seed.page.pk}/").content.decode()
    assert 'id="annotate-panel"' not in workspace and 'data-tool="rect"' not in workspace
    assert 'data-may-write="0"' in workspace
    history = client.get(f"/l/{seed.lines[0].pk}/history/").content.decode()
    assert "Restore" not in history and "v1" in history
    document = client.get(f"/d/{seed.document.pk}/").content.decode()
    assert "Start a job" not in document
    coll = client.get(f"/c/{collection.slug}/").content.decode()
    assert "Upload files" not in coll and "New document" not in coll and "Members and roles" not in coll
    curator = web("curator").get(f"/p/{seed.page.pk}/").content.decode()
    assert 'id="annotate-panel"' in curator and 'data-may-write="1"' in curator


def test_curator_edit_saves_a_human_version_in_the_ground_truth_layer(seed, collection, web, users):
    from inscription.models import Inscription

    client = web("curator")
    line = seed.lines[1]
    response = client.post(f"/l/{line.pk}/edit/", {"text": "on tuesday morning", "layer": seed.machine.pk})
    assert response.status_code == 200
    assert "Saved as version 1" in response.content.decode()
    saved = Inscription.objects.get(line=line, created_by=users["curator"])
    assert saved.layer.kind == "ground_truth" and saved.is_current and saved.text == "on tuesday morning"
    machine = Inscription.objects.get(line=line, layer=seed.machine, is_current=True)
    assert machine.text == "on tuesday mornin"  # the machine layer is never edited by hand
    # a stale version is refused with a plain message (409), nothing is stored
    stale = client.post(f"/l/{line.pk}/edit/", {"text": "x", "layer": saved.layer_id, "expected_version": 0})
    assert stale.status_code == 409 and "someone else saved version 1" in stale.content.decode()
    assert Inscription.objects.filter(line=line, layer=saved.layer).count() == 1


def test_bad_input_is_answered_in_plain_words(seed, collection, web):
    client = web("curator")
    other = build(collection, collection.owner, with_extras=False)
    wrong_layer = client.post(f"/l/{seed.lines[0].pk}/edit/", {"text": "x", "layer": other.machine.pk})
    assert wrong_layer.status_code == 400 and "not part of this document" in wrong_layer.content.decode()
    no_target = client.post(f"/p/{seed.page.pk}/annotate/", {"target": "", "comment": "x"})
    assert no_target.status_code == 400 and "nothing is selected" in no_target.content.decode()
    bad_selector = client.post(f"/p/{seed.page.pk}/annotate/", {
        "target": f'[{{"source": "page:{seed.page.pk}", "selector": [{{"type": "FragmentSelector", "value": "xywh=0,0,99999,5"}}]}}]'})
    assert bad_selector.status_code == 400 and bad_selector.content.decode().startswith("The annotation was not saved:")
    same_sides = client.post(f"/d/{seed.document.pk}/compare/", {"left": f"layer:{seed.machine.pk}", "right": f"layer:{seed.machine.pk}"}, follow=True)
    assert "Choose two different sides" in same_sides.content.decode()
    bad_job = client.post(f"/d/{seed.document.pk}/jobs/", {"kind": "nonsense"}, follow=True)
    assert "The job was not started" in bad_job.content.decode()


def test_restore_makes_an_earlier_version_current(seed, collection, web, users):
    from inscription.models import Inscription

    client = web("curator")
    gt = seed.document.layers.get(kind="ground_truth")
    line = seed.lines[0]
    client.post(f"/l/{line.pk}/edit/", {"text": "the letters arrivd", "layer": gt.pk})
    first = Inscription.objects.get(line=line, layer=gt, version=1)
    response = client.post(f"/l/{line.pk}/restore/", {"version": first.pk})
    assert response.status_code == 200 and "line-changed" in response["HX-Trigger"]
    current = Inscription.objects.get(line=line, layer=gt, is_current=True)
    assert (current.version, current.text, current.action) == (3, first.text, "restore")


def test_annotation_and_reflection_through_the_views(seed, collection, web):
    from inscription.models import Annotation, Reflection

    client = web("curator")
    gt_ins = seed.lines[0].inscriptions.get(layer__kind="ground_truth", is_current=True)
    target = json.dumps([{"source": f"inscription:{gt_ins.pk}", "selector": [
        {"type": "TextQuoteSelector", "exact": "arrived"}, {"type": "TextPositionSelector", "start": 12, "end": 19}]}])
    response = client.post(f"/p/{seed.page.pk}/annotate/", {"target": target, "motivation": "tagging", "tags": "journey, post"})
    assert response.status_code == 200, response.content
    ann = Annotation.objects.get(pk=int(response["X-Annotation"]))
    assert sorted(ann.tags.values_list("name", flat=True)) == ["journey", "post"]
    preview = client.post("/reflections/preview/", {"collection": collection.slug,
                                                     "body": f"**Note** [@annotation:{ann.pk}] <script>x</script>"}).content.decode()
    assert "<strong>Note</strong>" in preview and "<script>" not in preview
    assert f'href="/p/{seed.page.pk}/#ann-{ann.pk}"' in preview
    found = client.get(f"/reflections/cite/?collection={collection.slug}&q=arrived").content.decode()
    assert f'data-ref="annotation:{ann.pk}"' in found
    saved = client.post("/reflections/new/", {"collection": collection.slug, "title": "Post", "body": f"See [@annotation:{ann.pk}]."})
    reflection = Reflection.objects.get(title="Post")
    assert saved.status_code == 302 and saved["Location"] == f"/reflections/{reflection.pk}/"
    page = client.get(saved["Location"]).content.decode()
    assert f'href="/p/{seed.page.pk}/#ann-{ann.pk}"' in page


def test_empty_states(collection, users, web):
    from archive.models import Collection, Document
    from tests.inscription.helpers import make_page

    lonely = web("stranger")
    assert "No collections yet" in lonely.get("/").content.decode()
    assert "No jobs" in lonely.get("/jobs/").content.decode()
    assert "No model versions are registered" in lonely.get("/models/").content.decode()
    assert "No reflections yet" in lonely.get("/reflections/").content.decode()
    assert "Sign in" in web("anonymous").get("/").content.decode()
    client = web("curator")
    assert "This collection has no documents yet" in client.get(f"/c/{collection.slug}/").content.decode()
    document = Document.objects.create(collection=collection, title="Empty", created_by=users["owner"])
    body = client.get(f"/d/{document.pk}/").content.decode()
    assert "No pages yet" in body and "No transcription yet" in body and "No summary yet" in body
    assert "Nothing to compare yet" in client.get(f"/d/{document.pk}/compare/").content.decode()
    page = make_page(document)
    assert "No lines on this page yet" in client.get(f"/p/{page.pk}/").content.decode()
    assert "Nothing to cite yet" in client.get(f"/reflections/cite/?collection={collection.slug}").content.decode()
    assert Collection.objects.count() == 1


def test_owner_manages_members(collection, users, web):
    from archive.models import Membership

    client = web("owner")
    assert client.get(f"/c/{collection.slug}/members/").status_code == 200
    client.post(f"/c/{collection.slug}/members/", {"username": "stranger", "role": "viewer", "action": "set"})
    assert Membership.objects.get(collection=collection, user=users["stranger"]).role == "viewer"
    client.post(f"/c/{collection.slug}/members/", {"username": "stranger", "role": "curator", "action": "set"})
    assert Membership.objects.get(collection=collection, user=users["stranger"]).role == "curator"
    refused = client.post(f"/c/{collection.slug}/members/", {"username": "owner", "role": "viewer", "action": "set"}, follow=True)
    assert "owner keeps the owner role" in refused.content.decode()
    client.post(f"/c/{collection.slug}/members/", {"username": "stranger", "action": "remove", "role": ""})
    assert not Membership.objects.filter(collection=collection, user=users["stranger"]).exists()
    missing = client.post(f"/c/{collection.slug}/members/", {"username": "nobody", "role": "viewer", "action": "set"}, follow=True)
    assert "There is no user called" in missing.content.decode()


def test_collection_and_document_creation(users, web):
    from archive.models import Collection

    client = web("stranger")
    response = client.post("/collections/new/", {"title": "Diaries", "slug": "diaries", "visibility": "private"})
    assert response.status_code == 302
    coll = Collection.objects.get(slug="diaries")
    assert coll.owner == users["stranger"]
    dup = client.post("/collections/new/", {"title": "Again", "slug": "diaries", "visibility": "private"}, follow=True)
    assert "was not created" in dup.content.decode()
    made = client.post(f"/c/{coll.slug}/documents/new/", {"title": "Diary 1", "kind": "scan", "language": "en"})
    assert made.status_code == 302 and coll.documents.get().language == "en"


def test_jobs_start_from_the_pages_they_concern(seed, collection, web):
    from jobs.models import Job

    client = web("curator")
    gt = seed.document.layers.get(kind="ground_truth")
    client.post(f"/d/{seed.document.pk}/jobs/", {"kind": "evaluate", "layer": gt.pk, "model": seed.model.pk})
    evaluate = Job.objects.get(kind="evaluate")
    assert evaluate.document_id == seed.document.pk and evaluate.parameters["layer"] == gt.pk
    assert evaluate.parameters["model"] == seed.model.pk
    client.post(f"/d/{seed.document.pk}/jobs/", {"kind": "train", "layer": gt.pk, "epochs": 3})
    assert Job.objects.get(kind="train").parameters["epochs"] == 3
    assert 'value="beam+lm"' in client.get(f"/d/{seed.document.pk}/").content.decode()
    client.post(f"/d/{seed.document.pk}/jobs/", {"kind": "transcribe", "decoder": "beam+lm"})
    transcribe = Job.objects.get(kind="transcribe")  # the form's one choice becomes the beam decoder with the LM
    assert (transcribe.parameters["decoder"], transcribe.parameters["lm"]) == ("beam", True)
    bad = client.post(f"/d/{seed.document.pk}/jobs/", {"kind": "evaluate", "layer": gt.pk, "decoder": "beam+lm"},
                      follow=True)
    assert "decoder" in bad.content.decode() and Job.objects.filter(kind="evaluate").count() == 1
    refused = client.post(f"/d/{seed.document.pk}/jobs/", {"kind": "export"}, follow=True)
    assert "is not started from a document page" in refused.content.decode()
    client.post(f"/c/{collection.slug}/export/")
    export = Job.objects.get(kind="export")
    assert export.document_id is None and export.parameters["base_url"].startswith("http")
    rows = client.get("/jobs/rows/").content.decode()
    assert f'id="job-{export.pk}"' in rows and 'hx-trigger="every 1s"' in rows  # queued jobs are polled
    client.post(f"/jobs/{export.pk}/cancel/")
    export.refresh_from_db()
    assert export.state == "cancelled"
    assert web("viewer").post(f"/jobs/{evaluate.pk}/cancel/").status_code == 403


def test_compare_view_shows_cer_and_diff(seed, collection, web):
    from inscription.models import Comparison

    client = web("curator")
    gt = seed.document.layers.get(kind="ground_truth")
    client.post(f"/l/{seed.lines[1].pk}/edit/", {"text": "on tuesday morning", "layer": seed.machine.pk})
    response = client.post(f"/d/{seed.document.pk}/compare/",
                           {"left": f"layer:{gt.pk}", "right": f"layer:{seed.machine.pk}", "both": "1"})
    comparison = Comparison.objects.get()
    assert response["Location"] == f"/compare/{comparison.pk}/"
    assert comparison.lines.count() == 2  # only the two corrected lines are on both sides
    # "the lettors arrived" vs "the letters arrived": 1 edit; "on tuesday mornin" vs "...morning": 1 edit
    assert (comparison.char_edits, comparison.ref_chars) == (2, len("the letters arrived") + len("on tuesday morning"))
    page = client.get(response["Location"]).content.decode()
    assert f"{comparison.cer * 100:.1f}%" in page
    assert '<span class="d-sub">e</span>' in page and 'mornin<del class="d">g</del>' in page
    inline = client.get(response["Location"] + "?view=inline&sort=worst").content.decode()
    assert '<del class="d">e</del><ins class="d">o</ins>' in inline
    assert "Character confusions" in page and "“e”" in page
    assert web("viewer").get(response["Location"]).status_code == 200


def test_compare_a_layer_with_its_own_first_versions(seed, collection, web):
    from inscription.models import Comparison

    client = web("curator")
    gt = seed.document.layers.get(kind="ground_truth")
    client.post(f"/l/{seed.lines[0].pk}/edit/", {"text": "the letters arrived!", "layer": gt.pk})
    form = client.get(f"/d/{seed.document.pk}/compare/").content.decode()
    assert f'value="first:{gt.pk}"' in form and f'value="first:{seed.machine.pk}"' not in form
    client.post(f"/d/{seed.document.pk}/compare/", {"left": f"first:{gt.pk}", "right": f"layer:{gt.pk}", "both": "1"})
    comparison = Comparison.objects.get()
    assert (comparison.char_edits, comparison.ref_chars, comparison.insertions) == (1, len("the letters arrived"), 1)


def test_annotations_follow_corrections_and_orphans_are_marked(seed, collection, web):
    gt = seed.document.layers.get(kind="ground_truth")
    client = web("curator")
    shown = client.get(f"/p/{seed.page.pk}/?layer={gt.pk}").content.decode()
    assert f'<mark class="ann" data-ann="{seed.annotation.pk}">letters</mark>' in shown
    # the quoted word moves: the annotation is re-anchored and still highlighted
    client.post(f"/l/{seed.lines[0].pk}/edit/", {"text": "all the letters arrived", "layer": gt.pk})
    moved = client.get(f"/p/{seed.page.pk}/?layer={gt.pk}").content.decode()
    assert f'<mark class="ann" data-ann="{seed.annotation.pk}">letters</mark>' in moved
    # the quoted word disappears: the annotation is orphaned, listed and marked, not highlighted
    client.post(f"/l/{seed.lines[0].pk}/edit/", {"text": "nothing came that week", "layer": gt.pk})
    seed.annotation.refresh_from_db()
    assert seed.annotation.orphaned
    orphaned = client.get(f"/p/{seed.page.pk}/?layer={gt.pk}").content.decode()
    assert f'id="ann-{seed.annotation.pk}" class="annotation orphaned"' in orphaned
    assert ">orphaned</span>" in orphaned and 'class="ann"' not in orphaned
