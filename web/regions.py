"""Image regions of annotations: parsed from their selectors, drawn on the scan and shown as thumbnails.

Shared by the workspace (the overlay) and the annotation list (thumbnails and edit forms)."""
from __future__ import annotations

import re

from archive.models import Page
from inscription.models import Annotation

_XYWH = re.compile(r"xywh=(?:pixel:)?(\d+(?:\.\d+)?),(\d+(?:\.\d+)?),(\d+(?:\.\d+)?),(\d+(?:\.\d+)?)")
_POINTS = re.compile(r"points=[\"']([^\"']+)[\"']")


def region_shapes(annotations: list[Annotation], page: Page) -> list[dict]:
    """Rectangles and polygons that annotations draw on this page's image."""
    shapes = []
    for ann in annotations:
        for target in ann.target or []:
            if target.get("source") != f"page:{page.pk}":
                continue
            for sel in target.get("selector", []) or []:
                value = str(sel.get("value", ""))
                if sel.get("type") == "FragmentSelector" and (m := _XYWH.search(value)):
                    x, y, w, h = (float(v) for v in m.groups())
                    shapes.append({"ann": ann, "kind": "rect", "x": x, "y": y, "w": w, "h": h})
                elif sel.get("type") == "SvgSelector" and (m := _POINTS.search(value)):
                    shapes.append({"ann": ann, "kind": "polygon", "points": m.group(1)})
    return shapes


def regions_of(annotation: Annotation, page) -> list[dict]:  # noqa: ANN001
    """The annotation's image regions on ``page`` as thumbnails: a viewBox on the scan, and the outline."""
    out = []
    for shape in region_shapes([annotation], page):
        if shape["kind"] == "rect":
            x, y, w, h = shape["x"], shape["y"], max(1.0, shape["w"]), max(1.0, shape["h"])
            out.append({"box": f"{x:g} {y:g} {w:g} {h:g}", "rect": (x, y, w, h), "label": f"region {int(w)}×{int(h)} px at {int(x)}, {int(y)}"})
        else:
            pts = [tuple(float(v) for v in p.split(",")) for p in shape["points"].split() if "," in p]
            if not pts:
                continue
            xs, ys = [p[0] for p in pts], [p[1] for p in pts]
            w, h = max(1.0, max(xs) - min(xs)), max(1.0, max(ys) - min(ys))
            out.append({"box": f"{min(xs):g} {min(ys):g} {w:g} {h:g}", "points": shape["points"],
                        "label": f"polygon of {len(pts)} points, {int(w)}×{int(h)} px"})
    return out


def decorate(annotations: list[Annotation], page) -> list[Annotation]:  # noqa: ANN001
    """What the list shows and its edit form fills in: region thumbnails, the comment, tags and links."""
    for a in annotations:
        a.regions = regions_of(a, page)
        a.comment = next((b.get("value", "") for b in a.body or [] if b.get("type") == "TextualBody"
                          and b.get("purpose") != "tagging"), "")
        a.tag_text = ", ".join(b.get("value", "") for b in a.body or [] if b.get("purpose") == "tagging")
        a.link_text = "\n".join(b.get("source", "") for b in a.body or [] if b.get("type") == "Link")
    return annotations
