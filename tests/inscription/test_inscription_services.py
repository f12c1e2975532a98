"""Inscription services: versions, restore, withdraw, history, layers; nothing is ever overwritten or deleted."""
from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from inscription.models import Inscription, InscriptionAction, Layer, LayerKind
from inscription.services.inscriptions import (
    LineText,
    create_inscription,
    history,
    restore_inscription,
    withdraw_inscription,
    write_page_lines,
    write_pages_lines,
)
from inscription.services.layers import get_or_create_layer, machine_layer, machine_layer_name
from palimpsest.errors import InputError
from tests.inscription.helpers import fake_model_version, make_lines, make_page


def test_three_edits_keep_four_versions_and_restore_adds_a_fifth(users, lines, gt_layer):
    line = lines[0]
    counts = []
    first = create_inscription(layer=gt_layer, line=line, text="Dear Sir", user=users["curator"])
    counts.append(Inscription.objects.count())
    texts = ["Dear Sir,", "Dear Sirs,", "Dear Sirs, I write"]
    for text in texts:
        create_inscription(layer=gt_layer, line=line, text=text, user=users["curator"])
        counts.append(Inscription.objects.count())
    versions = list(history(line, gt_layer))
    assert [v.version for v in versions] == [1, 2, 3, 4]
    assert [v.text for v in versions] == ["Dear Sir", *texts]
    assert [v.is_current for v in versions] == [False, False, False, True]
    assert versions[0].action == InscriptionAction.WRITE and versions[1].action == InscriptionAction.EDIT
    # each version supersedes the one before it
    assert [v.supersedes_id for v in versions] == [None, versions[0].pk, versions[1].pk, versions[2].pk]

    restored = restore_inscription(Inscription.objects.get(pk=first.pk), users["owner"])
    counts.append(Inscription.objects.count())
    assert restored.version == 5 and restored.is_current and restored.text == "Dear Sir"
    assert restored.action == InscriptionAction.RESTORE and restored.restored_from_id == first.pk
    assert Inscription.objects.filter(target_key=f"line:{line.pk}", layer=gt_layer).count() == 5
    assert Inscription.objects.filter(target_key=f"line:{line.pk}", layer=gt_layer, is_current=True).count() == 1
    assert counts == sorted(counts) and len(set(counts)) == len(counts)  # row count only ever grows


def test_withdraw_is_a_recorded_version(users, lines, gt_layer):
    first = create_inscription(layer=gt_layer, line=lines[0], text="misread", user=users["curator"])
    withdrawn = withdraw_inscription(first, users["curator"], reason="not this line")
    assert withdrawn.withdrawn and withdrawn.text == "" and withdrawn.version == 2
    assert withdrawn.action == InscriptionAction.WITHDRAW and withdrawn.extra["reason"] == "not this line"
    assert Inscription.objects.get(pk=first.pk).text == "misread"  # the old text is still there
    with pytest.raises(InputError):
        withdraw_inscription(withdrawn, users["curator"])
    with pytest.raises(InputError):
        restore_inscription(withdrawn, users["curator"])  # already current, and a withdrawal
    back = restore_inscription(Inscription.objects.get(pk=first.pk), users["curator"])
    assert back.text == "misread" and back.version == 3 and not back.withdrawn


def test_restoring_the_current_version_is_refused(users, lines, gt_layer):
    only = create_inscription(layer=gt_layer, line=lines[0], text="a", user=users["curator"])
    with pytest.raises(InputError):
        restore_inscription(only, users["curator"])
    assert Inscription.objects.count() == 1


def test_database_allows_only_one_current_version(users, lines, gt_layer):
    create_inscription(layer=gt_layer, line=lines[0], text="a", user=users["curator"])
    with pytest.raises(IntegrityError), transaction.atomic():
        Inscription.objects.create(layer=gt_layer, document=gt_layer.document, line=lines[0], text="b",
                                   created_by=users["curator"], version=2, is_current=True)


def test_an_inscription_needs_an_agent_and_a_target_in_the_layer_document(users, collection, lines, gt_layer):
    from archive.models import Document

    with pytest.raises(InputError):
        create_inscription(layer=gt_layer, line=lines[0], text="x")  # nobody wrote it
    other = Document.objects.create(collection=collection, title="Other")
    other_line = make_lines(make_page(other), 1)[0]
    with pytest.raises(InputError):
        create_inscription(layer=gt_layer, line=other_line, text="x", user=users["curator"])
    with pytest.raises(InputError):
        create_inscription(layer=gt_layer, line=lines[0], text="x" * 200_001, user=users["curator"])
    assert Inscription.objects.count() == 0


def test_page_and_document_targets(users, document, page, gt_layer):
    on_page = create_inscription(layer=gt_layer, page=page, text="page note", user=users["curator"], kind="note")
    on_doc = create_inscription(layer=gt_layer, document=document, text="summary", user=users["curator"], kind="summary")
    assert on_page.target_key == f"page:{page.pk}" and on_doc.target_key == f"document:{document.pk}"
    assert list(history(page, gt_layer)) == [on_page]
    assert list(history(document, gt_layer)) == [on_doc]


def test_machine_layers_are_named_by_model_and_decoder_and_never_reused_for_a_newer_model(document):
    v1 = fake_model_version(version="1.0", sha="1" * 64)
    v2 = fake_model_version(version="2.0", sha="2" * 64)
    a = machine_layer(document, v1, {"decoder": "greedy"})
    assert a.name == "htr-test 1.0 (greedy)" == machine_layer_name(v1)
    assert machine_layer(document, v1, {"decoder": "greedy"}).pk == a.pk
    b = machine_layer(document, v2, {"decoder": "greedy"})
    c = machine_layer(document, v1, {"decoder": "beam", "lm": True})
    assert len({a.pk, b.pk, c.pk}) == 3 and c.name == "htr-test 1.0 (beam+lm)"
    assert a.kind == LayerKind.MACHINE and a.model_version_id == v1.pk
    with pytest.raises(InputError):
        get_or_create_layer(document, a.name, LayerKind.MACHINE, v2)
    with pytest.raises(InputError):
        get_or_create_layer(document, "  ", LayerKind.GROUND_TRUTH)


def test_write_page_lines_is_one_act_per_job_and_supersedes_older_readings(users, page, lines):
    from jobs.models import Job

    model = fake_model_version()
    layer = machine_layer(page.document, model, {"decoder": "greedy"})
    job1 = Job.objects.create(kind="transcribe", collection=page.document.collection, document=page.document)
    readings = [LineText(line=ln, text=f"line {i}", confidence=0.9, char_confidences=[0.9] * 6) for i, ln in enumerate(lines)]
    written = write_page_lines(layer=layer, page=page, readings=readings, model_version=model, job=job1)
    assert len(written) == 3
    # the same job again (a redelivered task) writes nothing
    assert write_page_lines(layer=layer, page=page, readings=readings, model_version=model, job=job1) is None
    assert Inscription.objects.filter(layer=layer).count() == 3
    # a later job with the same model adds versions, the old ones stay
    job2 = Job.objects.create(kind="transcribe", collection=page.document.collection, document=page.document)
    write_page_lines(layer=layer, page=page, readings=readings, model_version=model, job=job2)
    assert Inscription.objects.filter(layer=layer).count() == 6
    assert Inscription.objects.filter(layer=layer, is_current=True, job=job2).count() == 3
    assert set(Inscription.objects.filter(layer=layer, job=job2).values_list("version", flat=True)) == {2}


def _readings(lines, prefix: str) -> list[LineText]:
    return [LineText(line=ln, text=f"{prefix} {i}", confidence=0.8, char_confidences=[0.8] * 3) for i, ln in enumerate(lines)]


def test_write_pages_lines_writes_a_batch_of_pages_and_skips_only_those_the_job_wrote(document, page, lines):
    from jobs.models import Job

    model = fake_model_version()
    layer = machine_layer(document, model, {"decoder": "greedy"})
    second = make_page(document, order=1)
    second_lines = make_lines(second, 2)
    job = Job.objects.create(kind="transcribe", collection=document.collection, document=document)
    # a redelivered task: the job had already written the first page before its worker died
    write_page_lines(layer=layer, page=page, readings=_readings(lines, "first"), model_version=model, job=job)
    written = write_pages_lines(layer=layer, model_version=model, job=job,
                                pages=[(page, _readings(lines, "again")), (second, _readings(second_lines, "second"))])
    assert written[page.pk] is None
    assert [i.text for i in written[second.pk]] == ["second 0", "second 1"]
    assert all(i.page_id == second.pk and i.version == 1 for i in written[second.pk])
    assert sorted(Inscription.objects.filter(layer=layer).values_list("text", flat=True)) == [
        "first 0", "first 1", "first 2", "second 0", "second 1"]
    # a later job supersedes both pages in one act: one current version per line, old ones kept
    job2 = Job.objects.create(kind="transcribe", collection=document.collection, document=document)
    rewritten = write_pages_lines(layer=layer, model_version=model, job=job2,
                                  pages=[(page, _readings(lines, "new")), (second, _readings(second_lines, "new"))])
    assert [i.version for i in rewritten[page.pk] + rewritten[second.pk]] == [2, 2, 2, 2, 2]
    assert Inscription.objects.filter(layer=layer).count() == 10
    assert set(Inscription.objects.filter(layer=layer, is_current=True).values_list("job", flat=True)) == {job2.pk}


def test_write_pages_lines_is_all_or_nothing(document, page, lines):
    from jobs.models import Job

    model = fake_model_version()
    layer = machine_layer(document, model, {"decoder": "greedy"})
    other = make_page(document, order=1)
    stray = make_lines(other, 1)
    job = Job.objects.create(kind="transcribe", collection=document.collection, document=document)
    bad = [LineText(line=stray[0], text="not on this page")]
    with pytest.raises(InputError):
        write_pages_lines(layer=layer, model_version=model, job=job, pages=[(page, _readings(lines, "ok")), (page, bad)])
    assert not Inscription.objects.filter(layer=layer).exists()


def test_a_batch_of_pages_costs_the_same_queries_as_one_page(document):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from jobs.models import Job

    model = fake_model_version()
    layer = machine_layer(document, model, {"decoder": "greedy"})
    pages = [make_page(document, order=i) for i in range(7)]
    page_lines = [make_lines(p, 3) for p in pages]
    counts = []
    for batch in (slice(0, 1), slice(1, 7)):  # one page, then six
        for rewrite in range(2):  # first reading, then a second job superseding it
            job = Job.objects.create(kind="transcribe", collection=document.collection, document=document)
            with CaptureQueriesContext(connection) as queries:
                write_pages_lines(layer=layer, model_version=model, job=job,
                                  pages=[(p, _readings(ls, f"r{rewrite}")) for p, ls in zip(pages[batch], page_lines[batch], strict=True)])
            counts.append(len(queries))
    assert counts[0] == counts[2] and counts[1] == counts[3], counts
    assert Inscription.objects.filter(layer=layer, is_current=True).count() == 21


def test_nothing_can_be_deleted_under_inscriptions(users, lines, gt_layer):
    create_inscription(layer=gt_layer, line=lines[0], text="keep me", user=users["curator"])
    with pytest.raises(ProtectedError):
        lines[0].delete()
    with pytest.raises(ProtectedError):
        Layer.objects.get(pk=gt_layer.pk).delete()
    with pytest.raises(ProtectedError):
        gt_layer.document.delete()
    assert Inscription.objects.count() == 1
