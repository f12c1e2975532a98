"""Line geometry drawn or corrected by people. Geometry is attributed: whoever last drew it owns it."""
from __future__ import annotations

from typing import Any

from django.db import transaction

from archive.models import GeometrySource, Line, Page
from palimpsest.errors import InputError


def check_points(page: Page, points: list[list[float]], *, field: str, minimum: int) -> None:
    """Points must be [x, y] pairs inside the page (with a pixel of tolerance for rounding)."""
    if len(points) < minimum and not (field == "baseline" and not points):
        raise InputError(f"{field} needs at least {minimum} points.", code="invalid_geometry", detail={field: points[:5]})
    for x, y in points:
        if not (-1 <= x <= page.width + 1 and -1 <= y <= page.height + 1):
            raise InputError(
                f"{field} point ({x}, {y}) lies outside the page ({page.width}x{page.height}).", code="invalid_geometry"
            )


@transaction.atomic
def create_line(*, page: Page, user, polygon: list, baseline: list | None = None, order: int | None = None,
                **fields: Any) -> Line:
    check_points(page, polygon, field="polygon", minimum=3)
    check_points(page, baseline or [], field="baseline", minimum=2)
    if order is None:
        last = page.lines.order_by("-order").values_list("order", flat=True).first()
        order = 0 if last is None else last + 1
    return Line.objects.create(page=page, polygon=polygon, baseline=baseline or [], order=order,
                               source=GeometrySource.HUMAN, created_by=user, **fields)


@transaction.atomic
def update_line(line: Line, *, user, **fields: Any) -> Line:
    """A person's correction makes the geometry theirs: machine provenance is cleared."""
    if "polygon" in fields:
        check_points(line.page, fields["polygon"], field="polygon", minimum=3)
    if "baseline" in fields:
        check_points(line.page, fields["baseline"] or [], field="baseline", minimum=2)
    for key, value in fields.items():
        setattr(line, key, value)
    if {"polygon", "baseline"} & fields.keys():
        line.source = GeometrySource.HUMAN
        line.created_by = user
        line.model_version = None
        line.job = None
    line.save()
    return line
