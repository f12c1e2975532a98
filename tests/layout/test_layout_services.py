"""Layout acts through the services: geometry, revisions (old geometry kept), texts and annotations that follow."""
from __future__ import annotations

import pytest

from palimpsest.errors import InputError
from tests.layout.conftest import annotate_span

pytestmark = pytest.mark.django_db

SELF_CROSSING = [[10, 10], [100, 40], [100, 10], [10, 40]]  # a bow tie


def counts():
    from archive.models import GeometryRevision, Line, Region
    from inscription.models import AnnotationVersion, Inscription

    return (Line.all_objects.count(), Region.all_objects.count(), GeometryRevision.objects.count(),
            Inscription.objects.count(), AnnotationVersion.objects.count())


@pytest.mark.parametrize(("call", "message"), [
    (lambda s, u: s.add_line(page=s.page, user=u, polygon=SELF_CROSSING), "crosses itself"),
    (lambda s, u: s.add_line(page=s.page, user=u, polygon=[[10, 10], [900, 10], [900, 40]]), "outside the image"),
    (lambda s, u: s.add_line(page=s.page, user=u, polygon=[[10, 10], [90, 10], [90, 40]], baseline=[]), "empty"),
    (lambda s, u: s.edit_line(s.line, user=u, polygon=SELF_CROSSING), "crosses itself"),
    (lambda s, u: s.edit_line(s.line, user=u, baseline=[[10, 30], [10, 30]]), "2 distinct points"),
    (lambda s, u: s.edit_line(s.line, user=u, baseline=[[10, 30], [120, -50]]), "outside the image"),
    (lambda s, u: s.split_line(s.line, 5000, user=u), "not inside the baseline"),
    (lambda s, u: s.add_region(page=s.page, user=u, polygon=SELF_CROSSING), "crosses itself"),
    (lambda s, u: s.add_region(page=s.page, user=u, polygon=[[0, 0], [50, 0], [50, 50]], kind="no spaces allowed"), "region type"),
])
def test_bad_geometry_is_refused_and_stores_nothing(laid_out, users, call, message):
    from types import SimpleNamespace

    from archive.services.layout import lines, regions, split_merge

    before = counts()
    ns = SimpleNamespace(page=laid_out["page"], line=laid_out["lines"][0], add_line=lines.add_line, edit_line=lines.edit_line,
                         split_line=split_merge.split_line, add_region=regions.add_region)
    with pytest.raises(InputError) as err:
        call(ns, users["curator"])
    assert message in err.value.message
    assert counts() == before
    laid_out["lines"][0].refresh_from_db()
    assert laid_out["lines"][0].version == 1


def test_edit_keeps_the_old_geometry_and_attributes_the_new(laid_out, users):
    from archive.models import GeometryRevision, GeometrySource
    from archive.services.layout.lines import edit_line

    line = laid_out["lines"][1]
    old_polygon, old_baseline = line.polygon, line.baseline
    edit_line(line, user=users["curator"], baseline=[[0, 70], [200, 72], [400, 75]])
    line.refresh_from_db()
    assert line.baseline == [[0, 70], [200, 72], [400, 75]] and line.version == 2
    assert line.source == GeometrySource.HUMAN and line.created_by == users["curator"]
    revs = list(GeometryRevision.objects.filter(line=line).order_by("version"))
    assert [(r.version, r.action) for r in revs] == [(1, "initial"), (2, "edit")]
    assert revs[0].baseline == old_baseline and revs[0].polygon == old_polygon and revs[0].created_by is None
    assert revs[1].created_by == users["curator"]
    # texts and annotations are untouched by a geometry edit
    assert line.inscriptions.filter(is_current=True).count() == 2


def test_viewer_cannot_edit(laid_out, users):
    from archive.errors import RoleTooLow  # a plain domain error; the API maps it to 403 (palimpsest/api_errors.py)
    from archive.services.layout.lines import edit_line

    with pytest.raises(RoleTooLow):
        edit_line(laid_out["lines"][0], user=users["viewer"], baseline=[[0, 30], [300, 30]])


def test_split_divides_geometry_texts_and_moves_annotations(laid_out, users):
    from archive.models import GeometryRevision, Line
    from archive.services.layout.split_merge import split_line
    from inscription.models import Annotation, Inscription

    line = laid_out["lines"][0]
    truth = laid_out["truth_ins"][0]  # "je lègue ma maison à mon frère"
    right_word = annotate_span(users["curator"], truth, truth.text.index("frère"), len(truth.text), "the brother")
    left_word = annotate_span(users["curator"], truth, 0, 2, "je")
    left, right = split_line(line, 200, user=users["curator"])
    assert left.pk == line.pk and right.order == 1
    assert [ln.pk for ln in Line.objects.filter(page=laid_out["page"]).order_by("order")] == \
        [line.pk, right.pk, laid_out["lines"][1].pk, laid_out["lines"][2].pk]
    assert max(p[0] for p in left.polygon) == 200 and min(p[0] for p in right.polygon) == 200
    assert left.baseline[-1][0] == 200 and right.baseline[0][0] == 200
    new_left = Inscription.objects.get(line=left, layer=laid_out["truth"], is_current=True)
    new_right = Inscription.objects.get(line=right, layer=laid_out["truth"], is_current=True)
    assert f"{new_left.text} {new_right.text}" == truth.text
    assert new_left.supersedes_id == truth.pk and new_left.extra["layout"]["op"] == "split"
    moved = Annotation.objects.get(pk=right_word.pk)
    assert moved.target[0]["source"] == f"inscription:{new_right.pk}" and not moved.orphaned
    quote = next(s for s in moved.target[0]["selector"] if s["type"] == "TextQuoteSelector")
    assert quote["exact"] == "frère" and moved.line_id == right.pk
    stayed = Annotation.objects.get(pk=left_word.pk)
    assert stayed.target[0]["source"] == f"inscription:{new_left.pk}" and not stayed.orphaned
    revs = GeometryRevision.objects.filter(act=GeometryRevision.objects.get(line=right).act)
    assert {(r.line_id, r.action) for r in revs} >= {(line.pk, "initial"), (line.pk, "split"), (right.pk, "split")}


def test_merge_joins_texts_moves_annotations_and_retires_the_second(laid_out, users):
    from archive.models import Line
    from archive.services.layout.split_merge import merge_lines
    from inscription.models import Annotation, Inscription

    a, b = laid_out["lines"][0], laid_out["lines"][1]
    tb = laid_out["truth_ins"][1]  # "et mes livres à ma soeur"
    on_b = annotate_span(users["curator"], tb, tb.text.index("livres"), tb.text.index("livres") + 6, "books")
    kept = merge_lines(b, a, user=users["curator"])  # order of the arguments does not matter
    assert kept.pk == a.pk
    b_after = Line.all_objects.get(pk=b.pk)
    assert b_after.retired and not Line.objects.filter(pk=b.pk).exists()
    merged = Inscription.objects.get(line=a, layer=laid_out["truth"], is_current=True)
    assert merged.text == "je lègue ma maison à mon frère et mes livres à ma soeur"
    gone = Inscription.objects.get(line=b, layer=laid_out["truth"], is_current=True)
    assert gone.withdrawn and gone.extra["reason"] == f"merged into line {a.pk}"
    ann = Annotation.objects.get(pk=on_b.pk)
    sel = {s["type"]: s for s in ann.target[0]["selector"]}
    assert ann.target[0]["source"] == f"inscription:{merged.pk}" and not ann.orphaned
    assert merged.text[sel["TextPositionSelector"]["start"]:sel["TextPositionSelector"]["end"]] == "livres"
    assert [ln.order for ln in Line.objects.filter(page=laid_out["page"]).order_by("order")] == [0, 1]
    assert min(p[1] for p in kept.polygon) == 0 and max(p[1] for p in kept.polygon) == 80


def test_delete_retires_withdraws_and_orphans(laid_out, users):
    from archive.models import GeometryRevision, Line
    from archive.services.layout.lines import delete_line
    from inscription.models import Annotation, AnnotationVersion, Inscription
    from inscription.services.annotations import create_annotation

    line = laid_out["lines"][2]
    span = annotate_span(users["curator"], laid_out["truth_ins"][2], 8, 13, "Paris")
    whole = create_annotation(users["curator"], {"motivation": "tagging", "body": [{"type": "TextualBody", "value": "date",
                                                                                  "purpose": "tagging"}],
                                                 "target": [{"source": f"line:{line.pk}"}]})
    delete_line(line, user=users["curator"])
    assert Line.all_objects.get(pk=line.pk).retired
    assert GeometryRevision.objects.filter(line=line, action="delete").exists()
    assert not Inscription.objects.filter(line=line, is_current=True, withdrawn=False).exists()
    for ann in (span, whole):
        ann = Annotation.objects.get(pk=ann.pk)
        assert ann.orphaned
        assert AnnotationVersion.objects.filter(annotation=ann, action="orphan").exists()


def test_reorder_and_move(laid_out, users):
    from archive.models import GeometryRevision, Line
    from archive.services.layout.order import move_line, reorder_lines

    a, b, c = laid_out["lines"]
    reorder_lines(laid_out["page"], [c.pk, a.pk, b.pk], user=users["curator"])
    assert list(Line.objects.filter(page=laid_out["page"]).order_by("order").values_list("pk", flat=True)) == [c.pk, a.pk, b.pk]
    assert GeometryRevision.objects.filter(action="reorder").count() == 3
    move_line(c, 2, user=users["curator"])
    assert list(Line.objects.filter(page=laid_out["page"]).order_by("order").values_list("pk", flat=True)) == [a.pk, b.pk, c.pk]
    with pytest.raises(InputError):
        reorder_lines(laid_out["page"], [a.pk, b.pk], user=users["curator"])


def test_add_line_lands_in_reading_order_with_a_derived_baseline(laid_out, users):
    from archive.models import Line
    from archive.services.layout.lines import add_line

    a, b, c = laid_out["lines"]
    new = add_line(page=laid_out["page"], user=users["curator"], polygon=[[20, 42], [380, 42], [380, 58], [20, 58]])
    assert list(Line.objects.filter(page=laid_out["page"]).order_by("order").values_list("pk", flat=True)) == \
        [a.pk, new.pk, b.pk, c.pk]
    assert len(new.baseline) == 2 and new.baseline[0][0] == 20 and new.baseline[1][0] == 380


def test_regions_draw_retype_delete(laid_out, users):
    from archive.models import GeometryRevision, Line, Region
    from archive.services.layout.regions import add_region, delete_region, edit_region

    region = add_region(page=laid_out["page"], user=users["curator"], polygon=[[0, 0], [400, 0], [400, 85], [0, 85]],
                        kind="MainZone")
    assert set(region.lines.values_list("pk", flat=True)) == {laid_out["lines"][0].pk, laid_out["lines"][1].pk}
    edit_region(region, user=users["curator"], kind="MarginTextZone")
    region.refresh_from_db()
    assert region.kind == "MarginTextZone" and region.version == 2
    retype = GeometryRevision.objects.get(region=region, action="retype")
    assert retype.note == {"was": "MainZone"}
    delete_region(region, user=users["curator"])
    assert Region.all_objects.get(pk=region.pk).retired
    assert not Line.objects.filter(region=region).exists()
