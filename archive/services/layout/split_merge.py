"""Splitting a line in two at a point of its baseline, and merging two lines into one.

Geometry: a split cuts the polygon with the vertical through the split point (shapely)
and the baseline at the same x; a merge takes the union of both polygons (its convex
hull when they do not touch) and joins the baselines left to right. Texts and
annotations follow (``inscription.services.layout_text``, through the ``archive.events`` signals): a split divides each layer's
current text at the matching character, a merge joins them; annotations move with
their words or are flagged orphaned.
"""
from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from shapely import Polygon, box, unary_union

from archive.events import line_split, lines_merged
from archive.models import GeometrySource, Line, RevisionAction
from archive.permissions import WRITE, require
from archive.services.layout import order as reading_order
from archive.services.layout import revisions
from archive.services.layout.lines import lock_page
from archive.services.layout.validation import _num, check_baseline, check_polygon
from palimpsest.errors import InputError


def _ring(shape) -> list[list[float]]:  # noqa: ANN001 - a shapely Polygon
    coords = list(shape.exterior.coords)[:-1]
    return [[_num(x), _num(y)] for x, y in coords]


def _largest(shape):  # noqa: ANN001, ANN202
    parts = [g for g in getattr(shape, "geoms", [shape]) if isinstance(g, Polygon) and not g.is_empty]
    return max(parts, key=lambda g: g.area) if parts else None


def _y_at(baseline: list[list[float]], x: float) -> float:
    pts = sorted(baseline)
    for (x0, y0), (x1, y1) in zip(pts, pts[1:], strict=False):
        if x0 <= x <= x1:
            return y0 if x1 == x0 else y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    return pts[0][1] if x < pts[0][0] else pts[-1][1]


def split_geometry(line: Line, x: float) -> tuple[list, list, list, list]:
    """(left polygon, left baseline, right polygon, right baseline) cut at page column ``x``."""
    if len(line.baseline or []) < 2:
        raise InputError("This line has no baseline to split along; draw its baseline first.", code="invalid_geometry")
    xs = [p[0] for p in line.baseline]
    if not min(xs) < x < max(xs):
        raise InputError(f"The split point x={x:g} is not inside the baseline ({min(xs):g}–{max(xs):g}).",
                         code="invalid_geometry", detail={"field": "x"})
    y = _y_at(line.baseline, x)
    left_base = [p for p in sorted(line.baseline) if p[0] < x] + [[_num(x), _num(y)]]
    right_base = [[_num(x), _num(y)]] + [p for p in sorted(line.baseline) if p[0] > x]
    shape = Polygon(line.polygon)
    if not shape.is_valid:
        shape = shape.buffer(0)
    minx, miny, maxx, maxy = shape.bounds
    left = _largest(shape.intersection(box(minx - 1, miny - 1, x, maxy + 1)))
    right = _largest(shape.intersection(box(x, miny - 1, maxx + 1, maxy + 1)))
    if left is None or right is None:
        raise InputError("The split point leaves one side of the line without a polygon.", code="invalid_geometry")
    return _ring(left), left_base, _ring(right), right_base


def split_line(line: Line, x: float, *, user: AbstractBaseUser) -> tuple[Line, Line]:
    """Split ``line`` at page column ``x``: it keeps the left part; a new line after it takes the right part."""
    require(user, line.page.document.collection, WRITE)
    try:
        x = float(x)
    except (TypeError, ValueError) as exc:
        raise InputError("'x' must be a number (a page column).", code="invalid_geometry") from exc
    with transaction.atomic():
        page = lock_page(line.page)
        line = Line.objects.select_for_update().get(pk=line.pk)
        left_poly, left_base, right_poly, right_base = split_geometry(line, x)
        left_poly, right_poly = check_polygon(page, left_poly), check_polygon(page, right_poly)
        left_base, right_base = check_baseline(page, left_base), check_baseline(page, right_base)
        act = revisions.new_act()
        revisions.before_edit(line, act)
        old_baseline = line.baseline
        lines = reading_order.live_lines(page)
        index = next(i for i, ln in enumerate(lines) if ln.pk == line.pk)
        lines[index] = line  # the instance being edited, so renumbering never saves a stale copy
        right = Line.objects.create(page=page, polygon=right_poly, baseline=right_base, order=index + 1,
                                    region_id=line.region_id, kind=line.kind, source=GeometrySource.HUMAN, created_by=user)
        line.polygon, line.baseline = left_poly, left_base
        revisions.record(line, RevisionAction.SPLIT, user, act, note={"x": _num(x), "into": [line.pk, right.pk]})
        revisions.record_created(right, user, act, action=RevisionAction.SPLIT,
                                 note={"x": _num(x), "split_from": line.pk})
        reading_order.renumber(lines[:index + 1] + [right] + lines[index + 1:], user, act, skip=right)
        line_split.send(sender=Line, left=line, right=right, old_baseline=old_baseline, x=x, user=user, act=act)
    return line, right


def merge_lines(first: Line, second: Line, *, user: AbstractBaseUser) -> Line:
    """Merge two lines of one page: the earlier in reading order stays (with the union geometry and the
    joined texts); the other is retired, its annotations moved onto the merged text or line."""
    require(user, first.page.document.collection, WRITE)
    if first.pk == second.pk:
        raise InputError("A line cannot be merged with itself.", code="bad_merge")
    if first.page_id != second.page_id:
        raise InputError("Only lines of the same page can be merged.", code="bad_merge")
    with transaction.atomic():
        page = lock_page(first.page)
        a, b = sorted(Line.objects.select_for_update().filter(pk__in=[first.pk, second.pk]), key=lambda ln: (ln.order, ln.pk))
        if len({a.pk, b.pk}) != 2:
            raise InputError("Both lines must still be on the page.", code="bad_merge")
        shapes = [Polygon(ln.polygon) if Polygon(ln.polygon).is_valid else Polygon(ln.polygon).buffer(0) for ln in (a, b)]
        union = unary_union(shapes)
        merged = union if isinstance(union, Polygon) else union.convex_hull
        polygon = check_polygon(page, _ring(merged.simplify(0.5)))
        pieces = sorted([a.baseline or [], b.baseline or []], key=lambda pts: min((p[0] for p in pts), default=0))
        baseline = check_baseline(page, [p for pts in pieces for p in pts])
        act = revisions.new_act()
        revisions.before_edit(a, act)
        revisions.before_edit(b, act)
        a.polygon, a.baseline = polygon, baseline
        revisions.record(a, RevisionAction.MERGE, user, act, note={"merged": [a.pk, b.pk]})
        b.retired = True
        revisions.record(b, RevisionAction.MERGE, user, act, geometry_changed=False, note={"merged_into": a.pk})
        lines_merged.send(sender=Line, keep=a, gone=b, user=user, act=act)
        reading_order.renumber(reading_order.live_lines(page), user, act)
    return a
