"""Comparisons: hand-computed CER/WER (empty, missing and extra lines, Unicode), confusions, cache, API, jobs."""
from __future__ import annotations

import pytest

from inscription.annotations.alignment import align_line, compare_pairs
from tests.inscription.helpers import fake_model_version, make_lines, make_page
from tests.jobs.conftest import final_job, start_worker  # noqa: F401 - the real-worker fixture

# (reference, hypothesis) per line; None = the line is missing on that side.
CASES = [
    ("hello world", "hallo world"),  # 1 substitution e→a; 1 of 2 words
    ("", ""),                        # both empty: 0 edits, rates 0.0
    ("cafe\u0301", "café"),          # NFD vs NFC: equal after NFC, 4 reference characters
    ("abc", None),                   # reference only: 3 deletions, 1 word deleted
    (None, "zz"),                    # hypothesis only: 2 insertions, 1 word inserted, reference length 0
    ("", "x"),                       # empty reference: 1 insertion, per-line rate undefined (None)
    ("nai\u0308ve", "naive"),        # NFD ï vs i: 1 substitution ï→i of 5
]
# Hand-computed totals: chars 1+0+0+3+2+1+1 = 8 over 11+0+4+3+0+0+5 = 23; words 1+0+0+1+1+1+1 = 5 over 2+0+1+1+0+0+1 = 5.
CER, WER = 8 / 23, 5 / 5


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_core_figures_by_hand():
    lines, totals = compare_pairs((str(i), ref, hyp) for i, (ref, hyp) in enumerate(CASES))
    assert [(ln.char_edits, ln.ref_chars, ln.word_edits, ln.ref_words) for ln in lines] == [
        (1, 11, 1, 2), (0, 0, 0, 0), (0, 4, 0, 1), (3, 3, 1, 1), (2, 0, 1, 0), (1, 0, 1, 0), (1, 5, 1, 1)]
    assert [ln.cer for ln in lines] == [1 / 11, 0.0, 0.0, 1.0, None, None, 0.2]
    assert [ln.wer for ln in lines] == [0.5, 0.0, 0.0, 1.0, None, None, 1.0]
    assert [ln.status for ln in lines] == ["both", "both", "both", "left_only", "right_only", "both", "both"]
    assert totals.cer == pytest.approx(CER) and totals.wer == pytest.approx(WER)
    assert totals.op_counts() == {"substitutions": 2, "insertions": 3, "deletions": 3}
    table = {(r["ref"], r["hyp"]): r["count"] for r in totals.confusion_table()}
    assert table == {("e", "a"): 1, ("ï", "i"): 1, ("a", ""): 1, ("b", ""): 1, ("c", ""): 1, ("", "z"): 2, ("", "x"): 1}


def test_word_alignment_and_ops():
    line = align_line("k", "the cat sat on the mat", "the bat sat the mat today")
    assert line.word_edits == 3 and line.ref_words == 6  # cat→bat, on deleted, today inserted
    tags = [op[0] for op in line.word_ops]
    assert tags.count("replace") == 1 and tags.count("delete") == 1 and tags.count("insert") == 1
    assert line.char_ops[0][0] == "equal"


def _layers(document, gt_name="ground truth", model=None):
    from inscription.models import LayerKind
    from inscription.services.layers import get_or_create_layer

    model = model or fake_model_version()
    gt = get_or_create_layer(document, gt_name, LayerKind.GROUND_TRUTH)
    machine = get_or_create_layer(document, f"{model.name} {model.version}", LayerKind.MACHINE, model_version=model)
    return gt, machine, model


def write_cases(document, users, cases=CASES, model=None):
    """One page with a line per case; the ground truth on the left, a machine layer on the right."""
    from inscription.services.inscriptions import create_inscription

    page = make_page(document, order=document.pages.count())
    lines = make_lines(page, len(cases))
    gt, machine, model = _layers(document, model=model)
    for line, (ref, hyp) in zip(lines, cases, strict=True):
        if ref is not None:
            create_inscription(layer=gt, line=line, text=ref, user=users["curator"])
        if hyp is not None:
            create_inscription(layer=machine, line=line, text=hyp, model_version=model)
    return gt, machine, lines


def request(client, gt, machine, **extra):
    return client.post("/api/v1/comparisons/", {"left": {"layer": gt.pk}, "right": {"layer": machine.pk}, **extra}, format="json")


def test_two_layers_by_api_with_lines_sorted_by_cer(client_for, users, document):
    gt, machine, lines = write_cases(document, users)
    response = request(client_for("curator"), gt, machine)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["cer"] == pytest.approx(CER) and data["wer"] == pytest.approx(WER) and data["cached"] is False
    assert (data["char_edits"], data["ref_chars"], data["word_edits"], data["ref_words"]) == (8, 23, 5, 5)
    assert (data["lines_both"], data["lines_left_only"], data["lines_right_only"]) == (5, 1, 1)
    assert (data["substitutions"], data["insertions"], data["deletions"]) == (2, 3, 3)
    assert {"ref": "ï", "hyp": "i", "count": 1} in data["confusion"] and data["normalisation"] == "NFC"
    detail = client_for("viewer").get(f"/api/v1/comparisons/{data['id']}/?ordering=-cer").json()
    cers = [row["cer"] for row in detail["lines"]["results"]]
    assert cers[:2] == [None, None]  # undefined (empty reference, inserted text) first
    assert cers[2:] == sorted(cers[2:], reverse=True) and cers[2] == 1.0
    first = detail["lines"]["results"][0]
    assert {first["status"], detail["lines"]["results"][1]["status"]} == {"right_only", "both"}
    hello = next(r for r in detail["lines"]["results"] if r["left_text"] == "hello world")
    assert hello["char_alignment"] == [{"op": "equal", "ref": "h", "hyp": "h"}, {"op": "replace", "ref": "e", "hyp": "a"},
                                       {"op": "equal", "ref": "llo world", "hyp": "llo world"}]
    assert hello["word_alignment"][0] == {"op": "replace", "ref": "hello", "hyp": "hallo"} and hello["line"] == lines[0].pk
    only_left = client_for("viewer").get(f"/api/v1/comparisons/{data['id']}/lines/?status=left_only").json()
    assert [r["left_text"] for r in only_left["results"]] == ["abc"] and only_left["results"][0]["right_text"] is None
    bad = client_for("viewer").get(f"/api/v1/comparisons/{data['id']}/?ordering=-colour")
    assert bad.status_code == 400 and "ordering" in bad.json()["error"]["message"]


def test_cached_by_exact_versions(client_for, users, document):
    from inscription.models import Comparison
    from inscription.services.inscriptions import create_inscription

    gt, machine, lines = write_cases(document, users)
    client = client_for("curator")
    first = request(client, gt, machine).json()
    again = request(client, gt, machine)
    assert again.status_code == 200 and again.json()["id"] == first["id"] and again.json()["cached"] is True
    # A correction in the machine layer is a new version: a new comparison, the old one kept.
    create_inscription(layer=machine, line=lines[0], text="hello world", user=users["curator"])
    third = request(client, gt, machine)
    assert third.status_code == 201 and third.json()["id"] != first["id"]
    assert third.json()["char_edits"] == 7 and Comparison.objects.count() == 2
    assert third.json()["left_key"] == first["left_key"] and third.json()["right_key"] != first["right_key"]


def test_two_versions_and_two_models(client_for, users, document):
    from inscription.models import Inscription, LayerKind
    from inscription.services.inscriptions import create_inscription
    from inscription.services.layers import get_or_create_layer

    gt, machine, lines = write_cases(document, users, cases=[("abcd", "abXd"), ("efgh", "efgh")])
    old_versions = list(Inscription.objects.filter(layer=machine).values_list("pk", flat=True))
    create_inscription(layer=machine, line=lines[1], text="efgX", user=users["curator"])
    new_versions = list(Inscription.objects.filter(layer=machine, is_current=True).values_list("pk", flat=True))
    client = client_for("curator")
    versions = client.post("/api/v1/comparisons/", {"left": {"inscriptions": old_versions}, "right": {"inscriptions": new_versions},
                                                    "scope": {"document": document.pk}}, format="json").json()
    assert (versions["char_edits"], versions["ref_chars"]) == (1, 8)
    other = fake_model_version(name="htr-other", sha="b" * 64)
    second = get_or_create_layer(document, "other", LayerKind.MACHINE, model_version=other)
    for line, text in zip(lines, ["abcd", "efgh"], strict=True):
        create_inscription(layer=second, line=line, text=text, model_version=other)
    models = client.post("/api/v1/comparisons/", {"left": {"model_version": other.pk}, "right": {"model_version": machine.model_version_id},
                                                  "scope": {"document": document.pk}}, format="json")
    assert models.status_code == 201, models.content
    # Right: only abXd is still the model's current reading (line 2 was corrected by a person), so efgh counts as deleted.
    assert (models.json()["char_edits"], models.json()["ref_chars"], models.json()["lines_left_only"]) == (5, 8, 1)


def test_a_whole_collection_by_layer_name(client_for, users, document, collection):
    from archive.models import Document

    other = Document.objects.create(collection=collection, title="Letter 2")
    model = fake_model_version()
    write_cases(document, users, cases=[("aaaa", "aaab")], model=model)
    write_cases(other, users, cases=[("bbbb", "bbbb"), ("cc", None)], model=model)
    response = client_for("owner").post("/api/v1/comparisons/", {
        "left": {"layer_name": "ground truth"}, "right": {"layer_name": "htr-test 1.0"}, "scope": {"collection": collection.pk}},
        format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["document"] is None and (data["char_edits"], data["ref_chars"]) == (3, 10)
    assert data["lines"]["count"] == 3 and data["lines_left_only"] == 1


@pytest.mark.parametrize("body, message", [
    ({"right": {"layer": 1}}, "left: a side is one of"),
    ({"left": {"layer": 1}, "right": {"colour": 1}}, "right: a side is one of"),
    ({"left": {"layer": 1}, "right": {"inscriptions": [999999]}}, "right: some inscriptions do not exist"),
    ({"left": {"layer": 1}, "right": {"layer_name": "nothing"}}, "right: no inscriptions found"),
    ({"left": {"layer": 1}, "right": {"layer": 1}, "scope": {"shelf": 3}}, "scope is"),
])
def test_bad_requests(client_for, users, document, body, message):
    gt, machine, _ = write_cases(document, users, cases=[("a", "b")])
    for side in ("left", "right"):
        if body.get(side) == {"layer": 1}:
            body[side] = {"layer": gt.pk}
    response = client_for("curator").post("/api/v1/comparisons/", body, format="json")
    assert response.status_code == 400 and message in response.json()["error"]["message"], response.content


def test_an_ambiguous_side_is_rejected(client_for, users, document):
    from inscription.models import LayerKind
    from inscription.services.inscriptions import create_inscription
    from inscription.services.layers import get_or_create_layer

    gt, machine, lines = write_cases(document, users, cases=[("a", "b")])
    twin = get_or_create_layer(document, "twin", LayerKind.MACHINE, model_version=machine.model_version)
    create_inscription(layer=twin, line=lines[0], text="c", model_version=machine.model_version)
    response = client_for("curator").post("/api/v1/comparisons/", {
        "left": {"layer": gt.pk}, "right": {"model_version": machine.model_version_id}}, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "ambiguous_side"


@pytest.mark.parametrize("who, expected", [("anonymous", 403), ("stranger", 400), ("viewer", 403), ("curator", 201), ("owner", 201)])
def test_create_permissions(client_for, users, document, who, expected):
    from inscription.models import Comparison

    gt, machine, _ = write_cases(document, users, cases=[("a", "b")])
    response = request(client_for(who), gt, machine)
    assert response.status_code == expected, response.content
    assert Comparison.objects.count() == (1 if expected == 201 else 0)


@pytest.mark.parametrize("who, expected", [("anonymous", 404), ("stranger", 404), ("viewer", 200), ("curator", 200), ("owner", 200)])
def test_read_permissions(client_for, users, document, who, expected):
    gt, machine, _ = write_cases(document, users, cases=[("a", "b")])
    pk = request(client_for("curator"), gt, machine).json()["id"]
    client = client_for(who)
    assert client.get(f"/api/v1/comparisons/{pk}/").status_code == expected
    assert client.get(f"/api/v1/comparisons/{pk}/lines/").status_code == expected
    assert client.get("/api/v1/comparisons/").json()["count"] == (1 if expected == 200 else 0)
    assert client.delete(f"/api/v1/comparisons/{pk}/").status_code in (403, 404, 405)  # comparisons are never deleted


def test_large_comparisons_become_jobs(transactional_db, client_for, users, document, settings):
    """The job body run inline through the runner's lifecycle (it closes stale connections, hence a real transaction)."""
    from inscription.compare_tasks import run_comparison
    from inscription.models import Comparison
    from jobs.models import Job
    from jobs.runner import execute

    settings.PALIMPSEST_COMPARE_SYNC_LINES = 3
    gt, machine, _ = write_cases(document, users)
    response = request(client_for("curator"), gt, machine)
    assert response.status_code == 202, response.content
    data = response.json()
    job = Job.objects.get(pk=data["job"]["id"])
    assert data["state"] == "pending" and data["cer"] is None and job.kind == "compare" and job.parameters == {"comparison": data["id"]}
    assert execute(job.pk, run_comparison.body) == "succeeded"
    comparison = Comparison.objects.get(pk=data["id"])
    assert comparison.state == "ready" and comparison.cer == pytest.approx(CER) and comparison.lines.count() == len(CASES)
    job.refresh_from_db()
    assert job.result["comparison"] == comparison.pk and job.progress_done == job.progress_total > 0
    # Running again (a redelivered message) changes nothing and duplicates nothing.
    Job.objects.filter(pk=job.pk).update(state="running")
    assert execute(job.pk, run_comparison.body) == "succeeded" and comparison.lines.count() == len(CASES)


@pytest.mark.jobs
def test_a_real_worker_runs_a_large_comparison(start_worker, client_for, users, document, settings):  # noqa: F811
    from inscription.models import Comparison

    settings.PALIMPSEST_COMPARE_SYNC_LINES = 3
    gt, machine, _ = write_cases(document, users)
    worker = start_worker("compare")
    response = request(client_for("curator"), gt, machine)
    assert response.status_code == 202, response.content
    job = final_job(response.json()["job"]["id"], worker=worker, timeout=300)
    assert job.state == "succeeded", job.error
    comparison = Comparison.objects.get(pk=response.json()["id"])
    assert comparison.state == "ready" and comparison.cer == pytest.approx(CER) and comparison.wer == pytest.approx(WER)
    assert job.worker_host and job.celery_task_id


def test_both_only_by_api_measures_only_lines_both_sides_have(client_for, users, document):
    """The web form's "lines on both sides only" rule is the service's, so the API has it too."""
    gt, machine, _ = write_cases(document, users)
    client = client_for("curator")
    response = request(client, gt, machine, scope={"document": document.pk}, both_only=True)
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["lines_both"], data["lines_left_only"], data["lines_right_only"]) == (5, 0, 0)
    assert (data["char_edits"], data["ref_chars"]) == (3, 20)  # the both-sides lines of CASES
    assert request(client, gt, machine, both_only=True, scope={"collection": document.collection_id}).json()["error"]["code"] == "bad_scope"
    assert request(client, gt, machine, both_only="yes", scope={"document": document.pk}).status_code == 400


def test_first_of_layer_side_by_api(client_for, users, document):
    from inscription.services.inscriptions import create_inscription

    gt, machine, lines = write_cases(document, users, cases=[("one", "one"), ("two", "two")])
    create_inscription(layer=gt, line=lines[0], text="ONE", user=users["curator"])  # a second version
    response = client_for("curator").post("/api/v1/comparisons/", {"left": {"first_of_layer": gt.pk}, "right": {"layer": gt.pk},
                                                                   "scope": {"document": document.pk}}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["char_edits"] == 3 and response.json()["lines_both"] == 2
