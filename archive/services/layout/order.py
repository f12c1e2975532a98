"""Reading order of the lines of a page: reorder the whole page, or move one line (keyboard and mouse)."""
from __future__ import annotations

import uuid
from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from archive.models import Line, Page, RevisionAction
from archive.permissions import WRITE, require
from archive.services.layout import revisions
from palimpsest.errors import InputError


def lock_page(page: Page) -> Page:
    """Layout acts on one page are serialised (reading order and versions are per page). A page taken out of its
    document keeps its geometry as it was: changing it is refused (409) until the page is restored."""
    locked = Page.all_objects.select_for_update().filter(pk=page.pk).first()
    if locked is None or locked.removed_at is not None:
        raise InputError("This page was removed from its document; restore it before changing its lines or regions.",
                         code="page_removed", status_code=409)
    return locked


def live_lines(page: Page) -> list[Line]:
    return list(Line.objects.filter(page=page).order_by("order", "id"))


def _centre_y(line: Line) -> float:
    pts = line.baseline or line.polygon or [[0, 0]]
    return sum(p[1] for p in pts) / len(pts)


def index_for(lines: Sequence[Line], new: Line) -> int:
    """Where a new line goes: before the first line of the same region (or any) that lies below it."""
    y = _centre_y(new)
    for i, line in enumerate(lines):
        if (new.region_id is None or line.region_id == new.region_id) and _centre_y(line) > y:
            return i
    return len(lines)


def renumber(lines: Sequence[Line], user: AbstractBaseUser, act: uuid.UUID, skip: Line | None = None) -> int:
    """Give ``lines`` the orders 0..n-1; each line whose order changes gets a ``reorder`` revision."""
    changed = 0
    for index, line in enumerate(lines):
        if line.order == index or line is skip:
            continue
        revisions.before_edit(line, act)
        line.order = index
        revisions.record(line, RevisionAction.REORDER, user, act, geometry_changed=False)
        changed += 1
    return changed


def reorder_lines(page: Page, line_ids: Sequence[int], *, user: AbstractBaseUser) -> list[Line]:
    """Set the page's reading order; ``line_ids`` must name every line on the page exactly once."""
    require(user, page.document.collection, WRITE)
    try:
        ids = [int(i) for i in line_ids]
    except (TypeError, ValueError) as exc:
        raise InputError("'lines' must be a list of line ids.", code="bad_order") from exc
    with transaction.atomic():
        lock_page(page)
        lines = {ln.pk: ln for ln in live_lines(page)}
        if len(ids) != len(set(ids)) or set(ids) != set(lines):
            raise InputError("'lines' must list every line of the page exactly once "
                             f"({len(lines)} lines; got {len(ids)} ids).", code="bad_order",
                             detail={"expected": sorted(lines)})
        renumber([lines[i] for i in ids], user, revisions.new_act())
    return live_lines(page)


def move_line(line: Line, to: int, *, user: AbstractBaseUser) -> list[Line]:
    """Move one line to position ``to`` (0-based) in the reading order."""
    lines = [ln for ln in live_lines(line.page) if ln.pk != line.pk]
    to = max(0, min(int(to), len(lines)))
    return reorder_lines(line.page, [ln.pk for ln in lines[:to]] + [line.pk] + [ln.pk for ln in lines[to:]], user=user)
