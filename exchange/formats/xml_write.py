"""Writing parsed ALTO/PAGE pages into the archive: who the agent is, lines matched or created, one inscription each.

Why apart from ``xml_import``: a new document and a reading onto existing pages (a new
layer, as eScriptorium imports a second model's output) write lines the same way; only
the choice of pages differs.
"""
from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser

from archive.models import GeometrySource, Line, Page, Region
from exchange.formats import custom_tags, provenance
from exchange.formats.parsed import ParsedPage, informative
from inscription.models import AnnotationAction, Layer
from inscription.services.annotations import create_annotation
from inscription.services.inscriptions import create_inscription
from jobs.models import ModelVersion

MATCH_IOU = 0.5  # an imported line lands on an existing line whose box overlaps it at least this much


def machine_agent(page: ParsedPage) -> tuple[ModelVersion | None, dict]:
    """The machine that wrote the page's text, from its processing steps (None: no software named).

    Our own exports name a registered model with ``sha256=...; decoder=...`` settings: that
    model is credited again. Any other software becomes an external ModelVersion (no weights).
    """
    step = provenance.reading_step(page.provenance)
    if step is None:
        return None, {}
    name, version = step["software"][:200], step.get("version", "")[:100]
    settings = dict(part.strip().split("=", 1) for part in step.get("settings", "").split(";") if "=" in part)
    params = {"decoder": settings["decoder"]} if settings.get("decoder") not in (None, "", "unknown") else {}
    if settings.get("sha256"):
        known = ModelVersion.objects.filter(name=name, version=version, sha256=settings["sha256"]).first()
        if known is not None:
            return known, params
    mv = ModelVersion.objects.filter(name=name, version=version, task=provenance.EXTERNAL_TASK).first()
    if mv is None:
        mv = ModelVersion.objects.create(
            name=name, version=version, task=provenance.EXTERNAL_TASK, path="", sha256="",
            created_at=provenance.parse_date(step.get("date", "")) or dt.datetime.now(dt.UTC),
            card={"external": True, "software": name, "version": version, "creator": step.get("creator", ""),
                  "note": "Software named by an imported file; its weights are not in this archive."},
        )
    return mv, params


def _scaled(points, sx: float, sy: float) -> list[list[int]]:
    return [[int(round(x * sx)), int(round(y * sy))] for x, y in points]


def _box(points) -> tuple[float, float, float, float] | None:
    if not points:
        return None
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def iou(a, b) -> float:
    ba, bb = _box(a), _box(b)
    if ba is None or bb is None:
        return 0.0
    ix = max(0.0, min(ba[2], bb[2]) - max(ba[0], bb[0]))
    iy = max(0.0, min(ba[3], bb[3]) - max(ba[1], bb[1]))
    inter = ix * iy
    union = (ba[2] - ba[0]) * (ba[3] - ba[1]) + (bb[2] - bb[0]) * (bb[3] - bb[1]) - inter
    return inter / union if union > 0 else 0.0


def write_lines(page: Page, layer: Layer, user: AbstractBaseUser, parsed: ParsedPage, *, onto_existing: bool) -> tuple[int, int]:
    """Regions, lines and one inscription per parsed line; returns (lines onto existing lines, new lines)."""
    if parsed.scale == (-1.0, -1.0) and not (parsed.width and parsed.height):
        from palimpsest.errors import InputError

        raise InputError(f"{parsed.source_name}: non-pixel units without Page WIDTH/HEIGHT cannot be scaled.", code="bad_alto")
    sx = page.width / parsed.width if parsed.width else 1.0
    sy = page.height / parsed.height if parsed.height else 1.0
    mv, agent_params = (None, {}) if layer.kind == "ground_truth" else machine_agent(parsed)
    existing = list(page.lines.order_by("order", "id")) if onto_existing else []
    used: set[int] = set()
    next_order = (max((ln.order for ln in existing), default=-1) + 1) if existing else 0
    regions: dict[str, Region] = {}
    region_order = page.regions.count()
    matched = created = 0
    for ln in parsed.lines:
        polygon = _scaled(ln.polygon, sx, sy)
        target = None
        if existing:
            best = max(((iou(polygon, e.polygon), e) for e in existing if e.pk not in used), key=lambda t: t[0], default=(0.0, None))
            if best[1] is not None and best[0] >= MATCH_IOU:
                target = best[1]
        if target is None:
            region = regions.get(ln.region)
            if region is None and ln.region:
                reg = next((r for r in parsed.regions if r.external_id == ln.region), None)
                if reg is not None:
                    region = regions[ln.region] = Region.objects.create(
                        page=page, polygon=_scaled(reg.polygon, sx, sy), order=region_order, kind=reg.kind or "text",
                        external_id=reg.external_id[:100], source=GeometrySource.IMPORT, created_by=user)
                    region_order += 1
            target = Line.objects.create(
                page=page, region=region, order=next_order, polygon=polygon, baseline=_scaled(ln.baseline, sx, sy),
                external_id=ln.external_id[:100], kind=ln.kind, source=GeometrySource.IMPORT, created_by=user,
            )
            next_order += 1
            created += 1
        else:
            matched += 1
        used.add(target.pk)
        extra = {"imported_from": parsed.source_name, "format": parsed.format, "software": parsed.software,
                 "imported_by": user.get_username()}
        if ln.word_confidences:
            extra["word_confidences"] = ln.word_confidences
        if ln.words and informative(ln.words):
            extra["words"] = [w.as_dict(sx, sy) for w in ln.words]
        if ln.alternatives:
            extra["alternatives"] = ln.alternatives
        if ln.region_text:
            extra["region_text"] = True
        parameters = {"software": parsed.software, "source_file": parsed.source_name, "imported_by": user.get_username(),
                      **agent_params}
        ins = create_inscription(
            layer=layer, line=target, text=ln.text, user=None if mv is not None else user, model_version=mv,
            confidence=ln.confidence, parameters=parameters, extra=extra,
        )
        for tag in ln.tags:
            create_annotation(user, custom_tags.annotation_data(tag, ins.pk), action=AnnotationAction.IMPORT,
                              extra={"transkribus": tag, "imported_from": parsed.source_name})
    if not onto_existing:  # regions without lines (margins, stamps, numbering) are layout too
        for reg in parsed.regions:
            if reg.external_id not in regions and len(reg.polygon) >= 3:
                regions[reg.external_id] = Region.objects.create(
                    page=page, polygon=_scaled(reg.polygon, sx, sy), order=region_order, kind=reg.kind or "text",
                    external_id=reg.external_id[:100], source=GeometrySource.IMPORT, created_by=user)
                region_order += 1
    return matched, created
