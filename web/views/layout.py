"""What the workspace's layout editor needs: the page's geometry as JSON, and a line's geometry history.

The editor itself writes through the REST API (``/api/v1/lines/``, ``/api/v1/regions/``),
which calls ``archive.services.layout``; these helpers only read.
"""
from __future__ import annotations

from archive.models import GeometryRevision, Line, Page, Region
from archive.services.layout.regions import SEGMONTO_ZONES
from inscription.services.changed_lines import count_changed_lines
from web.render import polygon_points


def layout_context(page: Page, lines: list[Line], may_write: bool) -> dict:
    """Template context of the editor: geometry for the script, regions to draw, the changed-line count."""
    regions = list(Region.objects.filter(page=page).order_by("order", "id"))
    data = {
        "page": page.pk, "width": page.width, "height": page.height,
        "lines": [{"id": ln.pk, "order": ln.order, "polygon": ln.polygon, "baseline": ln.baseline,
                   "region": ln.region_id, "version": ln.version} for ln in lines],
        "regions": [{"id": r.pk, "kind": r.kind, "polygon": r.polygon, "order": r.order, "version": r.version}
                    for r in regions],
    }
    return {
        "layout_data": data,
        "regions": [{"region": r, "points": polygon_points(r.polygon)} for r in regions],
        "region_kinds": SEGMONTO_ZONES,
        "changed_lines": count_changed_lines([page]) if may_write else 0,
    }


def geometry_history(line: Line) -> list[dict]:
    """The line's geometry revisions, newest first, each with a small SVG view box around its shape."""
    out = []
    for rev in GeometryRevision.objects.filter(line=line).select_related("created_by", "model_version").order_by("-version", "-id"):
        pts = (rev.polygon or []) + (rev.baseline or [])
        if pts:
            xs, ys = [p[0] for p in pts], [p[1] for p in pts]
            pad = 4
            box = f"{min(xs) - pad} {min(ys) - pad} {max(xs) - min(xs) + 2 * pad} {max(ys) - min(ys) + 2 * pad}"
        else:
            box = "0 0 1 1"
        out.append({"rev": rev, "box": box, "polygon": polygon_points(rev.polygon), "baseline": polygon_points(rev.baseline),
                    "baseline_text": " ".join(f"{p[0]:g},{p[1]:g}" for p in rev.baseline or [])})
    return out
