"""Compare two layers or model versions of a document: coloured diffs, CER/WER, confusions.

The comparison itself (alignment, figures, caching by versions) is the compare service's;
this module only asks for one and shows it. "Only lines on both sides" asks for the
exact versions present on both sides, so a partly corrected ground truth is compared
only where it exists.
"""
from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_http_methods

from archive import permissions
from archive.models import Line
from inscription.annotations.alignment import normalise, segments
from inscription.models import Comparison, ComparisonState, Inscription
from inscription.services.compare import request_comparison
from jobs.models import ModelVersion
from palimpsest.ids import as_id
from web.access import attempt, document_for, require
from web.views.workspace import transcription_layers


def _side_choices(document) -> list[tuple[str, str]]:
    choices = [(f"layer:{layer.pk}", f"Layer “{layer.name}” ({layer.get_kind_display().lower()})") for layer in transcription_layers(document)]
    revised = Inscription.objects.filter(document=document, version__gt=1).values_list("layer_id", flat=True).distinct()
    for layer in transcription_layers(document):
        if layer.pk in set(revised):
            choices.append((f"first:{layer.pk}", f"Layer “{layer.name}” as first written (version 1 of each line)"))
    model_ids = Inscription.objects.filter(document=document, model_version__isnull=False).values_list("model_version_id", flat=True).distinct()
    for model in ModelVersion.objects.filter(pk__in=list(model_ids)):
        choices.append((f"model:{model.pk}", f"Everything model {model.name} {model.version} wrote"))
    return choices


def parse_side(raw: str) -> dict | None:
    kind, _, pk = (raw or "").partition(":")
    if not as_id(pk):
        return None
    return {"layer": {"layer": int(pk)}, "model": {"model_version": int(pk)}, "first": {"first_of_layer": int(pk)}}.get(kind)


@require_http_methods(["GET", "POST"])
def compare(request: HttpRequest, pk: int) -> HttpResponse:
    """Pick two sides (GET shows the form and earlier comparisons; POST runs one)."""
    doc = document_for(request, pk)
    choices = _side_choices(doc)
    may_write = permissions.can(request.user, doc.collection, permissions.WRITE)
    if request.method == "POST":
        require(request, doc.collection, permissions.WRITE)
        left, right = parse_side(request.POST.get("left", "")), parse_side(request.POST.get("right", ""))
        if left is None or right is None:
            messages.error(request, "Choose a reference (left) and a hypothesis (right) to compare.")
            return redirect("compare", pk=doc.pk)
        if left == right:
            messages.error(request, "Choose two different sides: a layer compared with itself has no differences.")
            return redirect("compare", pk=doc.pk)
        labels = dict(choices)
        label = f"{labels.get(request.POST['left'], 'left')} vs {labels.get(request.POST['right'], 'right')}"[:300]
        result, error = attempt(request_comparison, request.user, left, right, {"document": doc.pk}, label,
                                both_only=bool(request.POST.get("both")))
        if error:
            messages.error(request, f"The comparison was not made: {error}")
            return redirect("compare", pk=doc.pk)
        comparison, _created = result
        return redirect("comparison", pk=comparison.pk)
    earlier = Comparison.objects.filter(document=doc).order_by("-created_at")[:20]
    layers = transcription_layers(doc)
    machine = next((f"layer:{layer.pk}" for layer in reversed(layers) if layer.kind == "machine"), "")
    human = next((f"layer:{layer.pk}" for layer in reversed(layers) if layer.kind != "machine"), "")
    return render(
        request,
        "web/compare.html",
        {
            "nav": "collections",
            "document": doc,
            "choices": choices,
            "default_left": human,
            "default_right": machine,
            "earlier": earlier,
            "may_write": may_write,
            "breadcrumbs": [("Collections", "/"), (doc.collection.title, f"/c/{doc.collection.slug}/"), (doc.title, f"/d/{doc.pk}/"), ("Compare", None)],
        },
    )


def diff_html(ref: str, hyp: str, ops: list, mode: str) -> tuple[SafeString, SafeString]:
    """(left html, right html) for side-by-side, or (inline html, "") for inline, from the stored opcodes."""
    left, right, inline = [], [], []
    if not ops:
        n, m = len(normalise(ref)), len(normalise(hyp))
        ops = [["equal", 0, n, 0, m]] if ref == hyp else ([["delete", 0, n, 0, 0]] if n else []) + ([["insert", n, n, 0, m]] if m else [])
    for seg in segments(ref, hyp, ops):
        op, r, h = seg["op"], seg["ref"], seg["hyp"]
        if op == "equal":
            left.append(escape(r)), right.append(escape(h)), inline.append(escape(r))
        elif op == "delete":
            left.append(format_html('<del class="d">{}</del>', r)), inline.append(format_html('<del class="d">{}</del>', r))
        elif op == "insert":
            right.append(format_html('<ins class="d">{}</ins>', h)), inline.append(format_html('<ins class="d">{}</ins>', h))
        else:
            left.append(format_html('<span class="d-sub">{}</span>', r)), right.append(format_html('<span class="d-sub">{}</span>', h))
            inline.append(format_html('<del class="d">{}</del><ins class="d">{}</ins>', r, h))
    if mode == "inline":
        return mark_safe("".join(map(str, inline))), mark_safe("")  # noqa: S308 - pieces escaped above
    return mark_safe("".join(map(str, left))), mark_safe("".join(map(str, right)))  # noqa: S308


def comparison_detail(request: HttpRequest, pk: int) -> HttpResponse:
    comparison = get_object_or_404(Comparison.objects.select_related("collection", "document", "job"), pk=pk)
    require(request, comparison.collection)
    mode = "inline" if request.GET.get("view") == "inline" else "side"
    sort = request.GET.get("sort", "order")
    rows = list(comparison.lines.select_related("left", "right"))
    line_ids = [int(r.target_key.split(":")[1]) for r in rows if r.target_key.startswith("line:")]
    lines = {line.pk: line for line in Line.objects.filter(pk__in=line_ids).select_related("page")}
    page_orders = {}
    for row in rows:
        ref = row.left.text if row.left_id else ""
        hyp = row.right.text if row.right_id else ""
        row.left_html, row.right_html = diff_html(ref, hyp, row.char_ops, mode)
        kind, _, ident = row.target_key.partition(":")
        row.line_obj = lines.get(int(ident)) if kind == "line" and ident.isdigit() else None
        if row.line_obj is not None:
            page_orders.setdefault(row.line_obj.page_id, len(page_orders) + 1)
            row.label = f"p{page_orders[row.line_obj.page_id]} l{row.line_obj.order + 1}"
        else:
            row.label = row.target_key
    if sort == "worst":
        rows.sort(key=lambda r: (-(r.cer if r.cer is not None else 10.0), r.order))
    confusion = sorted((c for c in comparison.confusion or [] if c.get("count")), key=lambda c: -c["count"])[:40]
    return render(
        request,
        "web/comparison.html",
        {
            "nav": "collections",
            "comparison": comparison,
            "rows": rows,
            "mode": mode,
            "sort": sort,
            "confusion": confusion,
            "pending": comparison.state == ComparisonState.PENDING,
            "breadcrumbs": [("Collections", "/"), (comparison.collection.title, f"/c/{comparison.collection.slug}/")]
            + ([(comparison.document.title, f"/d/{comparison.document_id}/"), ("Compare", f"/d/{comparison.document_id}/compare/")] if comparison.document else [])
            + [(f"Comparison #{comparison.pk}", None)],
        },
    )
