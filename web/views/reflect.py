"""Reflections: Markdown essays with a live preview and citations of annotations, comparisons and lines."""
from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from archive import permissions
from archive.models import Collection
from inscription.annotations.rendering import Cited
from inscription.annotations.rendering import render as render_markdown
from inscription.models import Annotation, Comparison, Inscription, Reflection
from inscription.services import reflections
from inscription.services.references import resolve_readable
from palimpsest.ids import as_id
from web.access import attempt, collection_for, require
from web.forms import ReflectionForm

MAX_PREVIEW = 200_000
SEARCH_LIMIT = 8


def link_for(request: HttpRequest):
    """Where a citation points in the interface, or None when the reader cannot see it."""

    def link(c: Cited) -> str | None:
        obj = resolve_readable(request.user, c.ref)
        if obj is None:
            return None
        if c.kind == "annotation":
            return (reverse("workspace", args=[obj.page_id]) if obj.page_id else reverse("document", args=[obj.document_id])) + f"#ann-{obj.pk}"
        if c.kind == "comparison":
            return reverse("comparison", args=[obj.pk])
        if c.kind == "inscription":
            if obj.line_id:
                return reverse("workspace", args=[obj.line.page_id]) + f"?layer={obj.layer_id}#line-{obj.line_id}"
            return reverse("document", args=[obj.document_id])
        if c.kind == "document":
            return reverse("document", args=[obj.pk])
        if c.kind == "model":
            return reverse("model", args=[obj.pk])
        return None

    return link


def label_for(request: HttpRequest):
    def label(c: Cited) -> str:
        obj = resolve_readable(request.user, c.ref)
        if obj is None:
            return f"{c.kind} {c.pk}"
        if c.kind == "annotation":
            quote = _quote_of(obj)
            return f"Annotation {obj.pk} ({obj.get_motivation_display().lower()})" + (f": “{quote}”" if quote else "")
        if c.kind == "comparison":
            return f"Comparison {obj.pk}: {obj.label or 'two layers'}" + (f", CER {obj.cer:.1%}" if obj.cer is not None else "")
        if c.kind == "inscription":
            return f"Line text v{obj.version} in “{obj.layer.name}”: “{obj.text[:80]}”"
        if c.kind == "document":
            return f"Document: {obj.title}"
        return f"Model {obj}"

    return label


def _quote_of(annotation: Annotation) -> str:
    for target in annotation.target or []:
        for sel in target.get("selector", []) or []:
            if sel.get("type") == "TextQuoteSelector":
                return str(sel.get("exact", ""))[:80]
    return ""


def rendered(request: HttpRequest, body: str) -> str:
    return render_markdown(body, link_for(request), label_for(request))


def reflection_list(request: HttpRequest) -> HttpResponse:
    readable = permissions.readable_collection_ids(request.user)
    reflections = Reflection.objects.filter(collection_id__in=readable, withdrawn=False).select_related("collection", "created_by")
    slug = request.GET.get("collection", "")
    coll = None
    if slug:
        coll = collection_for(request, slug)
        reflections = reflections.filter(collection=coll)
    writable = [c for c in permissions.readable_collections(request.user) if permissions.can(request.user, c, permissions.WRITE)] \
        if request.user.is_authenticated else []
    return render(
        request,
        "web/reflections.html",
        {"nav": "reflections", "reflections": reflections[:100], "collection": coll, "writable": writable,
         "breadcrumbs": [("Reflections", None)]},
    )


def reflection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    reflection = get_object_or_404(Reflection.objects.select_related("collection", "created_by"), pk=pk)
    require(request, reflection.collection)
    versions = reflection.versions.select_related("created_by").order_by("-version")
    return render(
        request,
        "web/reflection.html",
        {
            "nav": "reflections",
            "reflection": reflection,
            "html": rendered(request, reflection.body),
            "versions": versions,
            "may_write": permissions.can(request.user, reflection.collection, permissions.WRITE),
            "breadcrumbs": [("Reflections", "/reflections/"), (reflection.collection.title, f"/reflections/?collection={reflection.collection.slug}"), (reflection.title, None)],
        },
    )


def _editor(request: HttpRequest, form: ReflectionForm, collection: Collection, reflection: Reflection | None, status: int = 200):
    return render(
        request,
        "web/reflection_edit.html",
        {
            "nav": "reflections",
            "form": form,
            "collection": collection,
            "reflection": reflection,
            "preview": rendered(request, form["body"].value() or ""),
            "breadcrumbs": [("Reflections", "/reflections/"), (reflection.title if reflection else "New reflection", None)],
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def reflection_new(request: HttpRequest) -> HttpResponse:
    slug = request.POST.get("collection") or request.GET.get("collection") or ""
    if not slug:
        messages.error(request, "Choose the collection the reflection belongs to.")
        return redirect("reflections")
    coll = collection_for(request, slug, permissions.WRITE)
    initial_cite = request.GET.get("cite", "")
    if request.method == "GET":
        body = f"[@{initial_cite}]\n" if initial_cite else ""
        return _editor(request, ReflectionForm(initial={"body": body}), coll, None)
    form = ReflectionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The reflection was not saved: " + form.errors_in_words())
        return _editor(request, form, coll, None, status=400)
    reflection, error = attempt(reflections.create_reflection, request.user, coll, title=form.cleaned_data["title"], body=form.cleaned_data["body"])
    if error:
        messages.error(request, f"The reflection was not saved: {error}")
        return _editor(request, form, coll, None, status=400)
    messages.success(request, "Reflection saved.")
    return redirect("reflection", pk=reflection.pk)


@require_http_methods(["GET", "POST"])
def reflection_edit(request: HttpRequest, pk: int) -> HttpResponse:
    reflection = get_object_or_404(Reflection.objects.select_related("collection"), pk=pk)
    require(request, reflection.collection, permissions.WRITE)
    if request.method == "GET":
        return _editor(request, ReflectionForm(initial={"title": reflection.title, "body": reflection.body}), reflection.collection, reflection)
    form = ReflectionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The reflection was not saved: " + form.errors_in_words())
        return _editor(request, form, reflection.collection, reflection, status=400)
    _, error = attempt(reflections.edit_reflection, reflection, request.user, title=form.cleaned_data["title"], body=form.cleaned_data["body"])
    if error:
        messages.error(request, f"The reflection was not saved: {error}")
        return _editor(request, form, reflection.collection, reflection, status=400)
    messages.success(request, "New version of the reflection saved.")
    return redirect("reflection", pk=reflection.pk)


@require_POST
def preview(request: HttpRequest) -> HttpResponse:
    """The rendered Markdown for the live preview (htmx, debounced on input). Renders only; stores nothing.

    Only those who may write reflections in the collection use the editor, so only they may preview."""
    collection_for(request, request.POST.get("collection", ""), permissions.WRITE)
    body = request.POST.get("body", "")[:MAX_PREVIEW]
    html = rendered(request, body)
    if not body.strip():
        html = '<p class="muted">The preview appears here as you write.</p>'
    return HttpResponse(html)


@require_GET
def cite_search(request: HttpRequest) -> HttpResponse:
    """Annotations, comparisons and lines matching the query, each with the reference to insert."""
    slug = request.GET.get("collection", "")
    coll = collection_for(request, slug)
    q = (request.GET.get("q") or "").strip()
    results: list[dict] = []
    anns = Annotation.objects.filter(collection=coll, withdrawn=False).select_related("document")
    comps = Comparison.objects.filter(collection=coll).select_related("document")
    lines = Inscription.objects.filter(document__collection=coll, is_current=True, withdrawn=False, line__isnull=False).select_related("layer", "document")
    if q:
        id_q = Q(pk=as_id(q)) if as_id(q) else Q(pk__in=[])
        anns = anns.filter(Q(body__icontains=q) | Q(target__icontains=q) | id_q)
        comps = comps.filter(Q(label__icontains=q) | Q(document__title__icontains=q) | id_q)
        lines = lines.filter(text__icontains=q)
    for a in anns.order_by("-created_at")[:SEARCH_LIMIT]:
        results.append({"ref": f"annotation:{a.pk}", "kind": "Annotation", "label": f"#{a.pk} {a.get_motivation_display().lower()}", "detail": _quote_of(a) or _first_comment(a), "where": a.document.title})
    for c in comps.order_by("-created_at")[:SEARCH_LIMIT]:
        results.append({"ref": f"comparison:{c.pk}", "kind": "Comparison", "label": f"#{c.pk} {c.label}", "detail": f"CER {c.cer:.1%}" if c.cer is not None else c.get_state_display(), "where": c.document.title if c.document else coll.title})
    for i in lines.order_by("-created_at")[:SEARCH_LIMIT]:
        results.append({"ref": f"inscription:{i.pk}", "kind": "Line", "label": f"v{i.version} in {i.layer.name}", "detail": i.text[:100], "where": i.document.title})
    return render(request, "web/partials/cite_results.html", {"results": results, "q": q})


def _first_comment(annotation: Annotation) -> str:
    for body in annotation.body or []:
        if body.get("type") == "TextualBody" and body.get("purpose") != "tagging":
            return str(body.get("value", ""))[:80]
    return ""
