"""The page workspace: the scan with its line polygons beside a transcription layer.

Lines are edited inline; a human correction never goes into a machine layer (a re-run
of the model would bury it), so edits made while reading a machine layer are saved in
the document's "ground truth" layer, which the workspace then shows with the machine
reading as a suggestion for lines not corrected yet.
"""
from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.html import escape
from django.views.decorators.http import require_GET, require_POST

from archive import permissions
from archive.models import Line, Page
from inscription.models import Annotation, Inscription, Layer, LayerKind
from inscription.services.inscriptions import create_inscription, history, restore_inscription
from inscription.services.layers import correction_layer
from jobs.models import ModelVersion
from palimpsest.ids import as_id
from web.access import attempt, can, line_for, page_for
from web.forms import LineEditForm
from web.regions import decorate, region_shapes
from web.render import DEFAULT_THRESHOLD, char_html, polygon_points
from web.views.curation import status_context
from web.views.layout import geometry_history, layout_context

TRANSCRIPTION_KINDS = (LayerKind.GROUND_TRUTH, LayerKind.MACHINE, LayerKind.IMPORT, LayerKind.OTHER)


def transcription_layers(document) -> list[Layer]:
    return list(document.layers.filter(kind__in=TRANSCRIPTION_KINDS).select_related("model_version", "created_by").order_by("created_at", "id"))


def choose_layer(layers: list[Layer], requested: str | None) -> Layer | None:
    """The layer asked for, else the ground truth, else the newest machine layer, else any."""
    if requested and requested.isdigit():
        for layer in layers:
            if layer.pk == int(requested):
                return layer
    for kind in (LayerKind.GROUND_TRUTH, LayerKind.MACHINE, LayerKind.IMPORT, LayerKind.OTHER):
        candidates = [layer for layer in layers if layer.kind == kind]
        if candidates:
            return candidates[-1]
    return None


def _current_by_line(layer: Layer | None, lines: list[Line]) -> dict[int, Inscription]:
    if layer is None or not lines:
        return {}
    qs = (Inscription.objects.filter(layer=layer, line__in=lines, is_current=True).select_related("created_by", "model_version")
          .defer(*ModelVersion.card_fields("model_version")))  # a line's reading needs the model's name, not its card
    return {i.line_id: i for i in qs}


def _suggestions(layers: list[Layer], shown: Layer | None, lines: list[Line]) -> dict[int, Inscription]:
    """For a human layer, the newest machine reading of each line not yet written in it."""
    if shown is None or shown.kind == LayerKind.MACHINE:
        return {}
    machine = [layer for layer in layers if layer.kind == LayerKind.MACHINE]
    return _current_by_line(machine[-1], lines) if machine else {}


def _text_marks(annotations: list[Annotation]) -> dict[int, list[tuple[int, int, int]]]:
    """inscription id -> [(start, end, annotation id)] from TextPositionSelectors."""
    marks: dict[int, list[tuple[int, int, int]]] = {}
    for ann in annotations:
        if ann.orphaned:
            continue
        for target in ann.target or []:
            source = str(target.get("source", ""))
            if not source.startswith("inscription:"):
                continue
            for sel in target.get("selector", []) or []:
                if sel.get("type") == "TextPositionSelector":
                    try:
                        pk = int(source.split(":", 1)[1])
                        marks.setdefault(pk, []).append((int(sel["start"]), int(sel["end"]), ann.pk))
                    except (KeyError, TypeError, ValueError):
                        pass
    return marks


def line_rows(page: Page, layers: list[Layer], layer: Layer | None, lines: list[Line] | None = None,
              annotations: list[Annotation] | None = None, threshold: float = DEFAULT_THRESHOLD) -> list[dict]:
    """What each line row shows: the inscription in the layer (or a suggestion) as marked-up HTML."""
    lines = lines if lines is not None else list(page.lines.select_related("region").order_by("order", "id"))
    current = _current_by_line(layer, lines)
    suggested = _suggestions(layers, layer, lines)
    if annotations is None:
        annotations = list(Annotation.objects.filter(page=page, withdrawn=False))
    marks = _text_marks(annotations)
    rows = []
    for n, line in enumerate(lines, 1):
        ins = current.get(line.pk)
        sug = suggested.get(line.pk) if ins is None else None
        shown = ins or sug
        text = "" if shown is None or shown.withdrawn else shown.text
        rows.append(
            {
                "line": line,
                "number": n,
                "inscription": ins,
                "suggestion": sug,
                "text": text,
                "html": char_html(text, shown.char_confidences if shown else None, marks.get(shown.pk, []) if ins else [], threshold),
                "points": polygon_points(line.polygon),
                # imported region types (SegmOnto zones); the default "text" says nothing
                "region_kind": line.region.kind if line.region_id and line.region.kind not in ("", "text") else "",
                "annotation_ids": sorted({a for s, e, a in marks.get(ins.pk, [])}) if ins else [],
            }
        )
    return rows


def workspace(request: HttpRequest, pk: int) -> HttpResponse:
    page = page_for(request, pk)
    doc = page.document
    layers = transcription_layers(doc)
    layer = choose_layer(layers, request.GET.get("layer"))
    annotations = list(
        Annotation.objects.filter(page=page, withdrawn=False).select_related("created_by").prefetch_related("tags").order_by("created_at")
    )
    rows = line_rows(page, layers, layer, annotations=annotations)
    decorate(annotations, page)
    pages = list(doc.pages.order_by("order", "id").values_list("pk", flat=True))
    index = pages.index(page.pk)
    may_write = can(request, doc.collection, permissions.WRITE)
    return render(
        request,
        "web/workspace.html",
        {
            **layout_context(page, [row["line"] for row in rows], may_write),
            "nav": "collections",
            "page": page,
            "document": doc,
            "collection": doc.collection,
            "layers": layers,
            "layer": layer,
            "rows": rows,
            "annotations": annotations,
            "orphaned": [a for a in annotations if a.orphaned],
            "shapes": region_shapes(annotations, page),
            "may_write": may_write,
            "threshold": DEFAULT_THRESHOLD,
            "page_number": index + 1,
            "page_count": len(pages),
            "prev_page": pages[index - 1] if index > 0 else None,
            "next_page": pages[index + 1] if index + 1 < len(pages) else None,
            "motivations": Annotation._meta.get_field("motivation").choices,
            **status_context(request, page),
            "breadcrumbs": [
                ("Collections", "/"),
                (doc.collection.title, f"/c/{doc.collection.slug}/"),
                (doc.title, f"/d/{doc.pk}/"),
                (f"Page {index + 1}", None),
            ],
        },
    )


def _row_response(request: HttpRequest, line: Line, layer: Layer | None, note: str = "", status: int = 200) -> HttpResponse:
    layers = transcription_layers(line.page.document)
    row = line_rows(line.page, layers, layer, lines=[line])[0]
    row["number"] = request.POST.get("number") or request.GET.get("number") or line.order + 1
    may_write = can(request, line.page.document.collection, permissions.WRITE)
    return render(request, "web/partials/line_row.html", {"row": row, "layer": layer, "may_write": may_write, "note": note}, status=status)


@require_GET
def line_row(request: HttpRequest, pk: int) -> HttpResponse:
    line = line_for(request, pk)
    layers = transcription_layers(line.page.document)
    return _row_response(request, line, choose_layer(layers, request.GET.get("layer")))


def _error(message: str, status: int = 400) -> HttpResponse:
    return HttpResponse(escape(message), status=status, content_type="text/plain; charset=utf-8")


@require_POST
def line_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Save a new human version of the line's text (Enter in the workspace)."""
    line = line_for(request, pk, permissions.WRITE)
    doc = line.page.document
    form = LineEditForm(request.POST)
    if not form.is_valid():
        return _error("The line was not saved: " + form.errors_in_words())
    shown = Layer.objects.filter(pk=form.cleaned_data["layer"], document=doc).first()
    if shown is None:
        return _error("The line was not saved: that layer is not part of this document.")
    text = form.cleaned_data["text"].replace("\r", "").replace("\n", " ")
    expected = form.cleaned_data.get("expected_version")
    target, error = attempt(correction_layer, shown, request.user)
    if error:
        return _error(f"The line was not saved: {error}")
    current = Inscription.objects.filter(layer=target, line=line, is_current=True).first()
    if target.pk == shown.pk and expected is not None and current is not None and current.version != expected:
        return _error(
            f"The line was not saved: someone else saved version {current.version} while you were editing. "
            "Press Esc, read their version, then edit again.",
            status=409,
        )
    if current is not None and current.text == text and not current.withdrawn:
        return _row_response(request, line, target, note="No change: the text is the same as the current version.")
    ins, error = attempt(create_inscription, layer=target, text=text, line=line, user=request.user)
    if error:
        return _error(f"The line was not saved: {error}")
    note = f"Saved as version {ins.version} in “{target.name}”."
    if target.pk != shown.pk:
        note += " Corrections are kept in the ground-truth layer; the machine layer is unchanged."
    return _row_response(request, line, target, note=note)


@require_GET
def line_history(request: HttpRequest, pk: int) -> HttpResponse:
    """Every version of the line in every layer: who or which model wrote it, and when."""
    line = line_for(request, pk)
    versions = list(history(line))
    layers: dict[int, list[Inscription]] = {}
    for v in versions:
        layers.setdefault(v.layer_id, []).append(v)
    groups = [(vs[0].layer, list(reversed(vs))) for vs in layers.values()]
    return render(
        request,
        "web/partials/line_history.html",
        {"line": line, "groups": groups, "geometry": geometry_history(line),
         "may_write": can(request, line.page.document.collection, permissions.WRITE)},
    )


@require_POST
def line_restore(request: HttpRequest, pk: int) -> HttpResponse:
    line = line_for(request, pk, permissions.WRITE)
    raw = request.POST.get("version", "")
    version = get_object_or_404(Inscription, pk=as_id(raw) or 0, line=line) if raw.isdigit() else None
    if version is None:
        return _error("Choose a version to restore.")
    ins, error = attempt(restore_inscription, version, request.user)
    if error:
        return _error(f"The version was not restored: {error}")
    response = line_history(_as_get(request), pk)
    response["HX-Trigger"] = f'{{"line-changed": {{"line": {line.pk}, "layer": {ins.layer_id}}}}}'
    return response


def _as_get(request: HttpRequest) -> HttpRequest:
    request.method = "GET"
    return request

