"""Page workflow status (append-only history), progress figures and the next page to correct."""
from __future__ import annotations

import pytest

from tests.inscription.helpers import fake_model_version, make_lines, make_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def doc(collection):
    from archive.models import Document

    return Document.objects.create(collection=collection, title="Diary")


def test_machine_reading_makes_pages_transcribed_and_an_edit_puts_them_in_correction(doc, users):
    from archive.models import PageState, PageStatus
    from inscription.services.inscriptions import LineText, create_inscription, write_page_lines
    from inscription.services.layers import GROUND_TRUTH, get_or_create_layer, machine_layer

    page = make_page(doc)
    lines = make_lines(page, 2)
    assert page.status == PageState.NEW
    model = fake_model_version()
    layer = machine_layer(doc, model, {"decoder": "greedy"})
    write_page_lines(layer=layer, page=page, readings=[LineText(line=ln, text="abc") for ln in lines], model_version=model)
    page.refresh_from_db()
    assert page.status == PageState.TRANSCRIBED
    gt = get_or_create_layer(doc, GROUND_TRUTH, "ground_truth", user=users["curator"])
    create_inscription(layer=gt, text="abd", line=lines[0], user=users["curator"])
    page.refresh_from_db()
    assert page.status == PageState.IN_CORRECTION
    history = list(PageStatus.objects.filter(page=page).values_list("previous", "state", "set_by__username"))
    assert history == [("new", "transcribed", None), ("transcribed", "in_correction", "curator")]


def test_jobs_never_move_a_page_back_but_curators_may(doc, users):
    from archive.models import PageState, PageStatus
    from archive.services.workflow import advance_pages, set_page_status

    page = make_page(doc)
    set_page_status(page, PageState.VERIFIED, user=users["curator"])
    assert advance_pages([page], PageState.TRANSCRIBED) == 0
    page.refresh_from_db()
    assert page.status == PageState.VERIFIED
    set_page_status(page, PageState.IN_CORRECTION, user=users["owner"], note="a line was wrong")
    page.refresh_from_db()
    assert page.status == PageState.IN_CORRECTION
    assert PageStatus.objects.filter(page=page).count() == 2
    assert set_page_status(page, PageState.IN_CORRECTION, user=users["owner"]) is None  # unchanged: no new row
    assert PageStatus.objects.filter(page=page).count() == 2


def test_status_rows_are_append_only_and_bad_states_store_nothing(doc, users):
    from archive.models import PageStatus
    from archive.services.workflow import set_page_status
    from palimpsest.errors import InputError

    page = make_page(doc)
    row = set_page_status(page, "verified", user=users["curator"])
    row.note = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        row.save()
    with pytest.raises(InputError, match="Unknown page status"):
        set_page_status(page, "finished", user=users["curator"])
    assert PageStatus.objects.filter(page=page).count() == 1


def test_progress_counts_cer_of_verified_pages_against_the_first_machine_reading(doc, users):
    from archive.models import PageState
    from archive.services.workflow import set_page_status
    from inscription.services.inscriptions import LineText, create_inscription, write_page_lines
    from inscription.services.layers import GROUND_TRUTH, get_or_create_layer, machine_layer
    from inscription.services.progress import next_page_to_correct, progress

    pages = [make_page(doc, order=i) for i in range(3)]
    model = fake_model_version()
    layer = machine_layer(doc, model, {"decoder": "greedy"})
    gt = get_or_create_layer(doc, GROUND_TRUTH, "ground_truth", user=users["curator"])
    for page in pages[:2]:
        (line,) = make_lines(page, 1)
        write_page_lines(layer=layer, page=page, readings=[LineText(line=line, text="helo world")], model_version=model)
        # a second machine reading must not replace the FIRST one in the figure
        write_page_lines(layer=layer, page=page, readings=[LineText(line=line, text="hello world")], model_version=model)
        create_inscription(layer=gt, text="hello world", line=line, user=users["curator"])
    set_page_status(pages[0], PageState.VERIFIED, user=users["curator"])
    figures = progress(doc)
    assert figures["total"] == 3
    assert figures["counts"] == {"new": 1, "segmented": 0, "transcribed": 0, "in_correction": 1, "verified": 1}
    assert figures["verified_percent"] == 33
    assert figures["cer"] == {"lines": 1, "characters": 11, "edits": 1, "cer": pytest.approx(1 / 11)}
    assert next_page_to_correct(doc) == pages[1]
    assert figures["next_page"] == pages[1].pk
    for page in pages[1:]:
        set_page_status(page, PageState.VERIFIED, user=users["curator"])
    assert next_page_to_correct(doc) is None
    assert progress(doc.collection)["verified_percent"] == 100
