"""Drawing, reshaping, retyping and deleting regions (main text, margin, heading, stamp, …).

Region types are SegmOnto zone names (https://segmonto.github.io), as the Testaments de
Poilus ALTO carry them in TAGREFS; imports may bring other names, which are kept.
"""
from __future__ import annotations

import re
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from shapely import Point, Polygon

from archive.models import GeometrySource, Line, Page, Region, RevisionAction
from archive.permissions import WRITE, require
from archive.services.layout import revisions
from archive.services.layout.lines import lock_page
from archive.services.layout.validation import check_polygon
from palimpsest.errors import InputError

SEGMONTO_ZONES = (
    "MainZone", "MarginTextZone", "NumberingZone", "RunningTitleZone", "TitlePageZone", "StampZone", "SealZone",
    "GraphicZone", "DropCapitalZone", "DamageZone", "DigitizationArtefactZone", "QuireMarksZone", "TableZone",
    "MusicZone", "CustomZone",
)
_KIND = re.compile(r"^[A-Za-z][A-Za-z0-9_:#.-]{0,49}$")


def check_kind(kind: Any) -> str:
    if not isinstance(kind, str) or not _KIND.match(kind.strip()):
        raise InputError("A region type is a short name such as MainZone or MarginTextZone (letters, digits, _:-.#).",
                         code="bad_region_kind", detail={"known": list(SEGMONTO_ZONES)})
    return kind.strip()


def _attach_lines(region: Region, user: AbstractBaseUser, act) -> int:  # noqa: ANN001
    """Lines without a region whose baseline centre lies in the new region join it."""
    shape = Polygon(region.polygon)
    joined = 0
    for line in Line.objects.filter(page_id=region.page_id, region__isnull=True):
        pts = line.baseline or line.polygon
        if not pts:
            continue
        cx, cy = sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts)
        if shape.contains(Point(cx, cy)):
            revisions.before_edit(line, act)
            line.region = region
            revisions.record(line, RevisionAction.REGION, user, act, geometry_changed=False, note={"region": region.pk})
            joined += 1
    return joined


def add_region(*, page: Page, user: AbstractBaseUser, polygon: Any, kind: Any = "MainZone",
               order: int | None = None) -> Region:
    """Draw a region; lines that lie in it and belong to no region join it."""
    require(user, page.document.collection, WRITE)
    polygon = check_polygon(page, polygon)
    kind = check_kind(kind)
    with transaction.atomic():
        lock_page(page)
        if order is None:
            last = Region.objects.filter(page=page).order_by("-order").values_list("order", flat=True).first()
            order = 0 if last is None else last + 1
        region = Region.objects.create(page=page, polygon=polygon, kind=kind, order=order,
                                       source=GeometrySource.HUMAN, created_by=user)
        act = revisions.new_act()
        revisions.record_created(region, user, act)
        _attach_lines(region, user, act)
    return region


def edit_region(region: Region, *, user: AbstractBaseUser, polygon: Any = None, kind: Any = None,
                order: int | None = None) -> Region:
    """Reshape, retype or reorder a region; each is its own revision action."""
    require(user, region.page.document.collection, WRITE)
    new_polygon = check_polygon(region.page, polygon) if polygon is not None else None
    new_kind = check_kind(kind) if kind is not None else None
    with transaction.atomic():
        lock_page(region.page)
        region = Region.objects.select_for_update().get(pk=region.pk)
        act = revisions.new_act()
        if new_polygon is not None and new_polygon != region.polygon:
            revisions.before_edit(region, act)
            region.polygon = new_polygon
            revisions.record(region, RevisionAction.EDIT, user, act)
        if new_kind is not None and new_kind != region.kind:
            revisions.before_edit(region, act)
            old = region.kind
            region.kind = new_kind
            revisions.record(region, RevisionAction.RETYPE, user, act, geometry_changed=False, note={"was": old})
        if order is not None and int(order) != region.order:
            revisions.before_edit(region, act)
            region.order = max(0, int(order))
            revisions.record(region, RevisionAction.REORDER, user, act, geometry_changed=False)
    return region


def delete_region(region: Region, *, user: AbstractBaseUser) -> Region:
    """Retire a region; its lines stay on the page, outside any region (each with a revision)."""
    require(user, region.page.document.collection, WRITE)
    with transaction.atomic():
        lock_page(region.page)
        region = Region.objects.select_for_update().get(pk=region.pk)
        act = revisions.new_act()
        for line in Line.objects.filter(region=region):
            revisions.before_edit(line, act)
            line.region = None
            revisions.record(line, RevisionAction.REGION, user, act, geometry_changed=False, note={"left_region": region.pk})
        revisions.before_edit(region, act)
        region.retired = True
        revisions.record(region, RevisionAction.DELETE, user, act, geometry_changed=False)
    return region
