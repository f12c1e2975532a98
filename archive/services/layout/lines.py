"""Drawing, reshaping and deleting lines. A deletion retires the line: its geometry and texts stay in the history."""
from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from archive.events import line_retired
from archive.models import GeometrySource, Line, Page, Region, RevisionAction
from archive.permissions import WRITE, require
from archive.services.layout import order as reading_order
from archive.services.layout import revisions
from archive.services.layout.fit import fitted_polygon
from archive.services.layout.order import lock_page
from archive.services.layout.validation import baseline_from_polygon, check_baseline, check_polygon
from palimpsest.errors import InputError


def _region_on(page: Page, region: Region | int | None) -> Region | None:
    if region is None:
        return None
    pk = region.pk if isinstance(region, Region) else region
    found = Region.objects.filter(pk=pk, page=page).first()
    if found is None:
        raise InputError(f"No region {pk} on this page.", code="bad_region")
    return found


def add_line(*, page: Page, user: AbstractBaseUser, polygon: Any = None, baseline: Any = None,
             order: int | None = None, region: Region | int | None = None, external_id: str = "") -> Line:
    """Draw a missing line. Without a baseline one is derived from the polygon; without a polygon one is fitted
    to the baseline on the scan (``fit.fitted_polygon``); without an order the line is placed in reading order by
    its height on the page (a missing line drawn between two lands between them)."""
    require(user, page.document.collection, WRITE)
    if polygon is None and baseline is None:
        raise InputError("Give the line's polygon, its baseline, or both.", code="invalid_geometry",
                         detail={"field": "polygon"})
    if polygon is None:
        baseline = check_baseline(page, baseline)
        polygon = check_polygon(page, fitted_polygon(page, baseline))
    else:
        polygon = check_polygon(page, polygon)
        baseline = baseline_from_polygon(polygon) if baseline is None else check_baseline(page, baseline)
    with transaction.atomic():
        lock_page(page)
        region_obj = _region_on(page, region)
        act = revisions.new_act()
        line = Line.objects.create(page=page, polygon=polygon, baseline=baseline, order=0, region=region_obj,
                                   source=GeometrySource.HUMAN, created_by=user, external_id=external_id[:100])
        others = [ln for ln in reading_order.live_lines(page) if ln.pk != line.pk]
        index = reading_order.index_for(others, line) if order is None else max(0, min(int(order), len(others)))
        line.order = index
        Line.objects.filter(pk=line.pk).update(order=index)
        revisions.record_created(line, user, act)
        reading_order.renumber(others[:index] + [line] + others[index:], user, act, skip=line)
    return line


def edit_line(line: Line, *, user: AbstractBaseUser, polygon: Any = None, baseline: Any = None) -> Line:
    """Move polygon vertices or baseline points: the line keeps its identity, texts and annotations; the
    earlier geometry is kept as a revision. The line then counts as changed for re-transcription."""
    require(user, line.page.document.collection, WRITE)
    if polygon is None and baseline is None:
        raise InputError("Give a polygon, a baseline or both.", code="invalid_geometry")
    page = line.page
    new_polygon = check_polygon(page, polygon) if polygon is not None else None
    new_baseline = check_baseline(page, baseline) if baseline is not None else None
    with transaction.atomic():
        lock_page(page)
        line = Line.objects.select_for_update().get(pk=line.pk)
        changed = (new_polygon is not None and new_polygon != line.polygon) or \
                  (new_baseline is not None and new_baseline != line.baseline)
        if not changed:
            return line
        act = revisions.new_act()
        revisions.before_edit(line, act)
        if new_polygon is not None:
            line.polygon = new_polygon
        if new_baseline is not None:
            line.baseline = new_baseline
        revisions.record(line, RevisionAction.EDIT, user, act)
    return line


def set_line_region(line: Line, region: Region | int | None, *, user: AbstractBaseUser) -> Line:
    """Put a line in a region (or in none)."""
    require(user, line.page.document.collection, WRITE)
    with transaction.atomic():
        lock_page(line.page)
        line = Line.objects.select_for_update().get(pk=line.pk)
        region_obj = _region_on(line.page, region)
        if line.region_id == (region_obj.pk if region_obj else None):
            return line
        act = revisions.new_act()
        revisions.before_edit(line, act)
        line.region = region_obj
        revisions.record(line, RevisionAction.REGION, user, act, geometry_changed=False)
    return line


def refit_line(line: Line, *, user: AbstractBaseUser) -> Line:
    """Fit the line's polygon to its baseline on the scan again (after its baseline or its neighbours moved),
    as ``add_line`` fits a line drawn as a baseline. A new geometry version; the old polygon is kept."""
    require(user, line.page.document.collection, WRITE)
    if not line.baseline or len(line.baseline) < 2:
        raise InputError("The line has no baseline to fit a polygon to; draw its baseline first.",
                         code="invalid_geometry", detail={"field": "baseline"})
    polygon = fitted_polygon(line.page, line.baseline, exclude=line.pk)
    return edit_line(line, user=user, polygon=polygon)


def delete_line(line: Line, *, user: AbstractBaseUser) -> Line:
    """Retire the line: it leaves the page and the reading order; its revisions, texts and annotations stay,
    and annotations anchored to it are flagged orphaned (they point at a line no longer on the page)."""
    require(user, line.page.document.collection, WRITE)
    with transaction.atomic():
        lock_page(line.page)
        line = Line.objects.select_for_update().get(pk=line.pk)
        act = revisions.new_act()
        revisions.before_edit(line, act)
        line.retired = True
        revisions.record(line, RevisionAction.DELETE, user, act, geometry_changed=False)
        line_retired.send(sender=Line, line=line, user=user, reason="line_deleted", act=act)
        reading_order.renumber(reading_order.live_lines(line.page), user, act)
    return line
