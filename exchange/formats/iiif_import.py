"""Import a IIIF Presentation 3 or 2.1 manifest: its page images and its transcription annotations.

Steps, in this order so a failure leaves nothing behind: parse and check the manifest;
fetch every image (http/https only, timeouts, byte cap, image content type, Pillow
pixel limit); fetch referenced annotation pages (same limits); then write the document,
pages, lines and one IMPORT layer in a single transaction, deleting stored image files
again if it fails. Transcriptions are TextualBody annotations with motivation
supplementing/painting (P3) or sc:painting ContentAsText (P2.1) on ``canvas#xywh=``.
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from archive.models import Collection, Document, GeometrySource, Line, Page
from exchange.formats import fetch
from exchange.formats.images import CheckedImage, StoredFiles, check_image
from exchange.formats.parsed import MAX_COORDINATE, NotKept, parse_points
from inscription.models import AnnotationAction, LayerKind
from inscription.services.annotations import create_annotation
from inscription.services.inscriptions import create_inscription
from inscription.services.layers import get_or_create_layer
from palimpsest import textguard
from palimpsest.errors import InputError

MAX_CANVASES = 1000
MAX_ANNOTATION_PAGES = 200
TEXT_MOTIVATIONS = {"supplementing", "painting", "transcribing", "sc:painting", "oa:transcribing"}
XYWH = re.compile(r"xywh=(?:pixel:)?(-?[\d.]+),(-?[\d.]+),([\d.]+),([\d.]+)")
METADATA_FIELDS = {"creator": "creator", "author": "creator", "date": "date", "place": "place", "language": "language"}


@dataclass
class Transcribed:
    """One transcription annotation: its text, box, and (from an SvgSelector) polygon and baseline, in canvas units."""

    text: str
    box: tuple[float, float, float, float]
    polygon: list[list[float]] = field(default_factory=list)
    baseline: list[list[float]] = field(default_factory=list)
    external_id: str = ""
    kind: str = ""  # line type, from our own exports' SvgSelector (data-line-type)


@dataclass
class ParsedCanvas:
    id: str
    label: str
    width: int | None
    height: int | None
    image_url: str
    lines: list[Transcribed] = field(default_factory=list)
    notes: list[dict] = field(default_factory=list)  # other annotations, as platform JSON with canvas-unit boxes


@dataclass
class ParsedManifest:
    version: int
    id: str
    title: str
    summary: str
    rights: str
    metadata: dict[str, str]
    canvases: list[ParsedCanvas]
    not_kept: NotKept = field(default_factory=NotKept)


def _text(value: Any) -> str:
    """A IIIF label/summary (P3 language map, P2 string / list / {@value}) as one string."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "; ".join(t for t in (_text(v) for v in value) if t)
    if isinstance(value, dict):
        if "@value" in value:
            return str(value["@value"])
        for key in ("en", "none", *value.keys()):
            if key in value:
                return _text(value[key])
    return str(value)


def _list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _id(obj: Any) -> str:
    if isinstance(obj, str):
        return obj
    if isinstance(obj, dict):
        return str(obj.get("id") or obj.get("@id") or "")
    return ""


def _context(data: dict) -> str:
    return " ".join(str(c) for c in _list(data.get("@context")))


def load(raw: bytes) -> dict:
    try:
        data = textguard.loads(raw, "The manifest")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"The manifest is not JSON: {exc}.", code="not_iiif") from exc
    if not isinstance(data, dict):
        raise InputError("The manifest is not a JSON object.", code="not_iiif")
    return data


def parse(data: dict) -> ParsedManifest:
    context = _context(data)
    kind = str(data.get("type") or data.get("@type") or "")
    if "presentation/3" in context and kind == "Manifest":
        return _parse_v3(data)
    if "presentation/2" in context and kind == "sc:Manifest":
        return _parse_v2(data)
    raise InputError(
        "This is not a IIIF Presentation 3 or 2.1 manifest (its @context and type do not say so; "
        f"type is {kind or 'missing'!r}).",
        code="not_iiif",
    )


def _metadata(entries: Any) -> dict[str, str]:
    out = {}
    for entry in _list(entries):
        if isinstance(entry, dict):
            label, value = _text(entry.get("label")).strip().lower(), _text(entry.get("value")).strip()
            if label in METADATA_FIELDS and value:
                out.setdefault(METADATA_FIELDS[label], value)
    return out


def _parse_v3(data: dict) -> ParsedManifest:
    canvases = []
    for canvas in _list(data.get("items")):
        if not isinstance(canvas, dict) or canvas.get("type") != "Canvas":
            continue
        image_url = ""
        for page in _list(canvas.get("items")):
            for anno in _list(page.get("items") if isinstance(page, dict) else None):
                for body in _list(anno.get("body") if isinstance(anno, dict) else None):
                    if isinstance(body, dict) and body.get("type") == "Choice":
                        body = (_list(body.get("items")) or [{}])[0]
                    if isinstance(body, dict) and body.get("type") == "Image" and not image_url:
                        image_url = _id(body)
        canvases.append(ParsedCanvas(_id(canvas), _text(canvas.get("label")), _int(canvas.get("width")),
                                     _int(canvas.get("height")), image_url))
    manifest = ParsedManifest(3, _id(data), _text(data.get("label")), _text(data.get("summary")),
                              str(data.get("rights") or _text(_value_of(data.get("requiredStatement")))),
                              _metadata(data.get("metadata")), canvases)
    pages = list(_list(data.get("annotations")))
    for canvas in _list(data.get("items")):
        if isinstance(canvas, dict):
            pages.extend(_list(canvas.get("annotations")))
    _collect_lines(manifest, pages)
    return manifest


def _parse_v2(data: dict) -> ParsedManifest:
    canvases, pages = [], []
    sequences = _list(data.get("sequences"))
    for canvas in _list(sequences[0].get("canvases") if sequences and isinstance(sequences[0], dict) else None):
        if not isinstance(canvas, dict):
            continue
        image = (_list(canvas.get("images")) or [{}])[0]
        resource = image.get("resource") if isinstance(image, dict) else None
        if isinstance(resource, dict) and resource.get("@type") == "oa:Choice":
            resource = resource.get("default")
        canvases.append(ParsedCanvas(_id(canvas), _text(canvas.get("label")), _int(canvas.get("width")),
                                     _int(canvas.get("height")), _id(resource)))
        pages.extend(_list(canvas.get("otherContent")))
    manifest = ParsedManifest(2, _id(data), _text(data.get("label")), _text(data.get("description")),
                              _text(data.get("license") or data.get("attribution")), _metadata(data.get("metadata")), canvases)
    _collect_lines(manifest, pages)
    return manifest


def _value_of(entry: Any) -> Any:
    """``requiredStatement`` should be {label, value}; a bare string is taken as the value."""
    return entry.get("value") if isinstance(entry, dict) else entry


def _int(value: Any) -> int | None:
    try:
        number = int(value) if value is not None else None
    except (TypeError, ValueError, OverflowError):
        return None
    return number if number is None or 0 < number <= MAX_COORDINATE else None


def _collect_lines(manifest: ParsedManifest, pages: list) -> None:
    """Add every transcription annotation to the canvas it targets; referenced pages are fetched (limited)."""
    by_canvas = {c.id: c for c in manifest.canvases}
    fetched = 0
    for page in pages:
        if isinstance(page, str) or (isinstance(page, dict) and "items" not in page and "resources" not in page):
            url = _id(page)
            if not url:
                continue
            fetched += 1
            if fetched > MAX_ANNOTATION_PAGES:
                raise InputError(f"The manifest references more than {MAX_ANNOTATION_PAGES} annotation pages.", code="too_many")
            page = load(fetch.fetch_json(url, what="annotation page"))
        if not isinstance(page, dict):
            continue  # neither a page nor a reference to one (e.g. a number)
        for anno in _list(page.get("items") or page.get("resources")):
            if isinstance(anno, dict) and not {str(m) for m in _list(anno.get("motivation"))} & TEXT_MOTIVATIONS:
                _other_annotation(anno, by_canvas, manifest.not_kept)
                continue
            found = _transcription(anno, manifest.not_kept)
            if found is not None:
                canvas_id, line = found
                if canvas_id in by_canvas:
                    by_canvas[canvas_id].lines.append(line)
                else:
                    manifest.not_kept.add("transcriptions on no canvas of the manifest")


def _transcription(anno: Any, not_kept: NotKept) -> tuple[str, Transcribed] | None:
    if not isinstance(anno, dict):
        not_kept.add("annotation entries that are not objects")
        return None
    motivations = {str(m) for m in _list(anno.get("motivation"))}
    if not motivations & TEXT_MOTIVATIONS:
        not_kept.add(f"annotations with motivation '{', '.join(sorted(motivations)) or 'none'}'")
        return None
    text = None
    for body in _list(anno.get("body") or anno.get("resource")):
        if isinstance(body, dict) and (body.get("type") == "TextualBody" or body.get("@type") in ("cnt:ContentAsText", "dctypes:Text")):
            text = body.get("value") if "value" in body else body.get("chars")
            break
    if not isinstance(text, str):
        not_kept.add("transcription annotations without a textual body")
        return None
    target = (_list(anno.get("target") or anno.get("on")) or [None])[0]
    fragment, svg = "", ""
    if isinstance(target, str):
        source, _, fragment = target.partition("#")
    elif isinstance(target, dict):
        source = _id(target.get("source") or target.get("full"))
        for selector in _list(target.get("selector")):
            if not isinstance(selector, dict):
                continue
            if selector.get("type") in ("FragmentSelector", "oa:FragmentSelector") and not fragment:
                fragment = str(selector.get("value", ""))
            elif selector.get("type") in ("SvgSelector", "oa:SvgSelector") and not svg:
                svg = str(selector.get("value", ""))
    else:
        not_kept.add("transcription annotations without a target")
        return None
    polygon, baseline, kind = _svg_geometry(svg, not_kept) if svg else ([], [], "")
    match = XYWH.search(fragment)
    if not match and len(polygon) >= 3:
        xs, ys = [p[0] for p in polygon], [p[1] for p in polygon]
        box = (min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))
    elif not match:
        not_kept.add("transcription annotations on a whole canvas or an unreadable region")
        return None
    else:
        try:
            box = tuple(float(v) for v in match.groups())
        except ValueError as exc:
            raise InputError(f"The region '{fragment[:80]}' of a transcription is not four numbers.", code="bad_geometry") from exc
    if not all(math.isfinite(v) and abs(v) <= MAX_COORDINATE for v in box):
        raise InputError(f"The region '{fragment[:80]}' of a transcription is outside any page.", code="bad_geometry")
    ident = _id(anno).rstrip("/").rsplit("/", 1)[-1]
    return source, Transcribed(text, box, polygon, baseline, ident if "/transcription/" in _id(anno) else "", kind)


def _other_annotation(anno: dict, by_canvas: dict[str, ParsedCanvas], not_kept: NotKept) -> None:
    """A commenting, tagging, describing... annotation on a canvas: kept as a W3C annotation of that page."""
    from inscription.models import Motivation

    motivations = [str(m).removeprefix("oa:") for m in _list(anno.get("motivation"))]
    motivation = next((m for m in motivations if m in Motivation.values), None)
    if motivation is None:
        not_kept.add(f"annotations with motivation '{', '.join(sorted(motivations)) or 'none'}'")
        return
    bodies = []
    for body in _list(anno.get("body") or anno.get("resource")):
        if isinstance(body, dict) and (body.get("type") == "TextualBody" or body.get("@type") in ("cnt:ContentAsText", "dctypes:Text")):
            value = body.get("value") if "value" in body else body.get("chars")
            if isinstance(value, str) and value:
                entry = {"type": "TextualBody", "value": value[:10_000]}
                for key in ("format", "language", "purpose"):
                    if isinstance(body.get(key), str):
                        entry[key] = body[key]
                bodies.append(entry)
                continue
        ident = _id(body)
        if ident.startswith(("http://", "https://")):
            bodies.append({"type": "Link", "source": ident, "purpose": "linking"})
        else:
            not_kept.add(f"{motivation} annotation bodies of an unsupported kind")
    target = (_list(anno.get("target") or anno.get("on")) or [None])[0]
    fragment = ""
    if isinstance(target, str):
        source, _, fragment = target.partition("#")
    elif isinstance(target, dict):
        source = _id(target.get("source") or target.get("full"))
        selector = next((s for s in _list(target.get("selector")) if isinstance(s, dict)
                         and s.get("type") in ("FragmentSelector", "oa:FragmentSelector")), {})
        fragment = str(selector.get("value", ""))
        if not fragment and target.get("selector"):
            not_kept.add(f"{motivation} annotations with a selector other than xywh= (kept on the whole canvas)")
    else:
        source = ""
    if source not in by_canvas or not bodies:
        not_kept.add(f"{motivation} annotations on no canvas of the manifest or without a body")
        return
    match = XYWH.search(fragment)
    box = tuple(float(v) for v in match.groups()) if match else None
    if box is not None and not all(math.isfinite(v) and abs(v) <= MAX_COORDINATE for v in box):
        raise InputError(f"The region '{fragment[:80]}' of an annotation is outside any page.", code="bad_geometry")
    by_canvas[source].notes.append({"motivation": motivation, "body": bodies, "box": box, "id": _id(anno)})


def _svg_geometry(svg: str, not_kept: NotKept) -> tuple[list[list[float]], list[list[float]], str]:
    """The first ``polygon`` (the line, with its ``data-line-type``) and a ``polyline class="baseline"`` of an
    SvgSelector, parsed as untrusted XML."""
    from exchange.formats.xmlsafe import local, parse_untrusted

    try:
        root = parse_untrusted(svg.encode(), name="an SvgSelector")
    except InputError:
        not_kept.add("SvgSelectors that are not safe, well-formed XML")
        return [], [], ""
    polygon, baseline, kind = [], [], ""
    for el in root.iter():
        name = local(el.tag) if isinstance(el.tag, str) else ""
        if name == "polygon" and not polygon:
            polygon = parse_points(el.get("points"), "SvgSelector polygon")
            kind = (el.get("data-line-type") or "").strip()[:50]
        elif name == "polyline" and "baseline" in (el.get("class") or "").split() and not baseline:
            baseline = parse_points(el.get("points"), "SvgSelector baseline")
        elif name not in ("svg", "g", "polygon", "polyline", ""):
            not_kept.add(f"SvgSelector <{name}> shapes")
    return polygon, baseline, kind


def fetch_images(manifest: ParsedManifest, progress: Callable[[int, int], None] | None = None) -> list[CheckedImage]:
    """Every canvas's image, fetched and checked; ``progress(done, total)`` after each (a job reports it)."""
    if not manifest.canvases:
        raise InputError("The manifest has no canvases.", code="not_iiif")
    if len(manifest.canvases) > MAX_CANVASES:
        raise InputError(f"The manifest has more than {MAX_CANVASES} canvases.", code="too_many")
    images = []
    for n, canvas in enumerate(manifest.canvases, 1):
        if not canvas.image_url:
            raise InputError(f"Canvas {n} ({canvas.id}) has no image.", code="not_iiif")
        images.append(check_image(fetch.fetch_image(canvas.image_url), f"the image of canvas {n}"))
        if progress is not None:
            progress(n, len(manifest.canvases))
    return images


def import_manifest(collection: Collection, user: AbstractBaseUser, raw: bytes, source_url: str = "", *,
                    progress: Callable[[int, int], None] | None = None,
                    within: Callable[[dict], None] | None = None) -> dict:
    """Create a document from a manifest (JSON bytes); returns a summary for the API and the command.

    ``progress`` sees each fetched image; ``within(summary)`` runs inside the write transaction (a job
    records its result there, so a redelivered job knows the document exists)."""
    manifest = parse(load(raw))
    images = fetch_images(manifest, progress)
    source = source_url or manifest.id
    stored = StoredFiles()
    try:
        with transaction.atomic():
            document = Document.objects.create(
                collection=collection, title=(manifest.title or "IIIF import")[:500], description=manifest.summary,
                rights=manifest.rights[:500], source=source[:1000], created_by=user,
                **{k: v[:300] for k, v in manifest.metadata.items() if k != "language"},
                language=manifest.metadata.get("language", "")[:35],
            )
            layer = None
            if any(c.lines for c in manifest.canvases):
                layer = get_or_create_layer(
                    document, f"IIIF import: {manifest.title or source}"[:200], LayerKind.IMPORT,
                    parameters={"source": source, "format": f"IIIF Presentation {manifest.version}", "manifest": manifest.id},
                    user=user,
                )
            line_count = note_count = 0
            for order, (canvas, image) in enumerate(zip(manifest.canvases, images, strict=True)):
                page = Page.objects.create(
                    document=document, order=order, image=stored.blob(image), width=image.width, height=image.height,
                    label=canvas.label[:100], iiif_source=canvas.image_url[:2000],
                    original_filename=canvas.image_url.rstrip("/").rsplit("/", 1)[-1][:500],
                )
                sx = image.width / canvas.width if canvas.width else 1.0
                sy = image.height / canvas.height if canvas.height else 1.0
                for n, item in enumerate(canvas.lines):
                    x, y, w, h = item.box
                    x0, y0, x1, y1 = round(x * sx), round(y * sy), round((x + w) * sx), round((y + h) * sy)
                    polygon = ([[round(px * sx), round(py * sy)] for px, py in item.polygon] if len(item.polygon) >= 3
                               else [[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
                    line = Line.objects.create(
                        page=page, order=n, polygon=polygon, baseline=[[round(px * sx), round(py * sy)] for px, py in item.baseline],
                        source=GeometrySource.IMPORT, created_by=user, external_id=(item.external_id or f"c{order + 1}_l{n + 1}")[:100],
                        kind=item.kind,
                    )
                    text = item.text
                    create_inscription(layer=layer, line=line, text=text, user=user,
                                       parameters={"source": source, "canvas": canvas.id}, extra={"imported_from": source})
                    line_count += 1
                for note in canvas.notes:
                    target: dict[str, Any] = {"source": f"page:{page.pk}"}
                    if note["box"] is not None:
                        x, y, w, h = note["box"]
                        x0, y0 = max(0, round(x * sx)), max(0, round(y * sy))
                        x1, y1 = min(image.width, round((x + w) * sx)), min(image.height, round((y + h) * sy))
                        target["selector"] = [{"type": "FragmentSelector", "value": f"xywh={x0},{y0},{max(1, x1 - x0)},{max(1, y1 - y0)}"}]
                    create_annotation(user, {"motivation": note["motivation"], "body": note["body"], "target": [target]},
                                      action=AnnotationAction.IMPORT, extra={"imported_from": source, "iiif_id": note["id"]})
                    note_count += 1
            summary = {"document": document.pk, "pages": len(images), "lines": line_count,
                       "layer": layer.pk if layer else None, "annotations": note_count, "iiif_version": manifest.version,
                       "not_kept": manifest.not_kept.as_list()}
            if within is not None:
                within(summary)
    except BaseException:
        stored.discard()
        raise
    return summary


def import_from_url(collection: Collection, user: AbstractBaseUser, url: str, **hooks: Any) -> dict:
    return import_manifest(collection, user, fetch.fetch_json(url), source_url=url, **hooks)
