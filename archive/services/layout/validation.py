"""Geometry checks with shapely: a bad polygon or baseline is refused with a clear message, before any write."""
from __future__ import annotations

from typing import Any

from shapely import LineString, Polygon
from shapely.validation import explain_validity

from archive.models import Page
from palimpsest.errors import InputError

# Rounded coordinates of a point drawn on the very edge may fall half a pixel outside.
EDGE_TOLERANCE = 1.0
MAX_POINTS = 5000


def _bad(message: str, field: str, points: Any = None) -> InputError:
    detail = {"field": field}
    if points is not None:
        detail["points"] = points[:8] if isinstance(points, list) else points
    return InputError(message, code="invalid_geometry", detail=detail)


def clean_points(points: Any, field: str) -> list[list[float]]:
    """[[x, y], ...] of finite numbers; consecutive duplicates dropped (they add nothing and confuse validity)."""
    if not isinstance(points, list | tuple):
        raise _bad(f"{field} must be a list of [x, y] points.", field)
    if len(points) > MAX_POINTS:
        raise _bad(f"{field} has more than {MAX_POINTS} points.", field)
    out: list[list[float]] = []
    for point in points:
        if (not isinstance(point, list | tuple) or len(point) != 2
                or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in point)):
            raise _bad(f"{field} must be a list of [x, y] number pairs; got {point!r}.", field)
        x, y = float(point[0]), float(point[1])
        if x != x or y != y or abs(x) == float("inf") or abs(y) == float("inf"):
            raise _bad(f"{field} has a point that is not a finite number.", field)
        pair = [round(x, 1), round(y, 1)]
        if not out or out[-1] != pair:
            out.append(pair)
    return out


def _inside(page: Page, points: list[list[float]], field: str) -> None:
    for x, y in points:
        if not (-EDGE_TOLERANCE <= x <= page.width + EDGE_TOLERANCE and -EDGE_TOLERANCE <= y <= page.height + EDGE_TOLERANCE):
            raise _bad(f"{field} point ({x:g}, {y:g}) lies outside the image ({page.width}×{page.height}).", field, [x, y])


def check_polygon(page: Page, points: Any, field: str = "polygon") -> list[list[float]]:
    """A simple polygon (no self-intersection) of at least 3 points with an area, inside the image."""
    pts = clean_points(points, field)
    if len(pts) > 1 and pts[0] == pts[-1]:
        pts = pts[:-1]  # a closed ring given explicitly
    if len(pts) < 3:
        raise _bad(f"{field} needs at least 3 distinct points.", field, pts)
    _inside(page, pts, field)
    shape = Polygon(pts)
    if not shape.is_valid:
        why = explain_validity(shape)
        if "Self-intersection" in why or "Ring Self-intersection" in why:
            raise _bad(f"{field} crosses itself ({why}); move the vertices so its edges do not cross.", field)
        raise _bad(f"{field} is not a valid polygon ({why}).", field)
    if shape.area <= 0:
        raise _bad(f"{field} has no area.", field)
    return [[_num(x), _num(y)] for x, y in pts]


def check_baseline(page: Page, points: Any, field: str = "baseline") -> list[list[float]]:
    """A baseline of at least 2 distinct points with a length, inside the image."""
    pts = clean_points(points, field)
    if not pts:
        raise _bad(f"{field} is empty; a line needs a baseline of at least 2 points.", field)
    if len(pts) < 2:
        raise _bad(f"{field} needs at least 2 distinct points.", field, pts)
    _inside(page, pts, field)
    if LineString(pts).length <= 0:
        raise _bad(f"{field} has no length.", field, pts)
    return [[_num(x), _num(y)] for x, y in pts]


def baseline_from_polygon(polygon: list[list[float]]) -> list[list[float]]:
    """A baseline for a line drawn without one: the longest horizontal chord at 3/4 of the polygon's height."""
    shape = Polygon(polygon)
    minx, miny, maxx, maxy = shape.bounds
    y = miny + 0.75 * (maxy - miny)
    chord = shape.intersection(LineString([(minx - 1, y), (maxx + 1, y)]))
    pieces = list(getattr(chord, "geoms", [chord]))
    pieces = [p for p in pieces if isinstance(p, LineString) and p.length > 0]
    if not pieces:
        return [[_num(minx), _num(y)], [_num(maxx), _num(y)]]
    best = max(pieces, key=lambda p: p.length)
    (x0, y0), (x1, y1) = best.coords[0], best.coords[-1]
    return sorted([[_num(x0), _num(y0)], [_num(x1), _num(y1)]])


def _num(v: float) -> float | int:
    """Whole numbers stay ints in the stored JSON (as segmenters and imports write them)."""
    r = round(float(v), 1)
    return int(r) if r == int(r) else r
