"""The curator's day at archive scale: page status, progress overviews, next page, batch jobs.

Views resolve objects through web.access (404 without read, 403 without write) and call the
services directly (archive.services.workflow, inscription.services.progress / batches).
"""
from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from archive import permissions
from archive.models import Document, PageState
from archive.services.workflow import set_page_status
from inscription.services import progress as progress_service
from inscription.services.batches import BATCH_KINDS, start_batch
from jobs.models import JobKind, ModelTask, ModelVersion
from web.access import attempt, can, collection_for, document_for, page_for, safe_next


@require_POST
def page_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Set a page's workflow status (curators and owners); htmx gets the status block back."""
    page = page_for(request, pk, permissions.WRITE)
    state = request.POST.get("status", "")
    _, error = attempt(set_page_status, page, state, user=request.user, note=(request.POST.get("note") or "")[:500])
    if request.headers.get("HX-Request"):
        if error:
            return HttpResponse(f"The status was not changed: {error}", status=400, content_type="text/plain; charset=utf-8")
        return render(request, "web/partials/page_status.html", status_context(request, page))
    if error:
        messages.error(request, f"The status was not changed: {error}")
    else:
        messages.success(request, f"Page {page.order + 1} is now “{PageState(page.status).label.lower()}”.")
    return redirect(safe_next(request) or f"/p/{page.pk}/")


def status_context(request: HttpRequest, page) -> dict:  # noqa: ANN001
    from archive.services.workflow import page_history

    return {"page": page, "states": PageState.choices, "may_write": can(request, page.document.collection, permissions.WRITE),
            "status_history": list(page_history(page).order_by("-created_at", "-id")[:10])}


def document_live(request: HttpRequest, pk: int) -> HttpResponse:
    """The parts of a document page that change as uploads land and jobs run (polled by htmx)."""
    from web.views.documents import document_context

    doc = document_for(request, pk)
    return render(request, "web/partials/document_live.html", document_context(request, doc))


def collection_live(request: HttpRequest, slug: str) -> HttpResponse:
    """The collection's progress overview and document list (polled by htmx)."""
    from web.views.collections import collection_context

    coll = collection_for(request, slug)
    return render(request, "web/partials/collection_live.html", collection_context(request, coll))


def next_page(request: HttpRequest, pk: int | None = None, slug: str | None = None) -> HttpResponse:
    """Open the workspace at the first page that is not verified yet (document or collection)."""
    target = document_for(request, pk) if pk is not None else collection_for(request, slug)
    page = progress_service.next_page_to_correct(target)
    if page is None:
        messages.success(request, "Every page here is verified: nothing left to correct.")
        return redirect(f"/d/{target.pk}/" if isinstance(target, Document) else f"/c/{target.slug}/")
    return redirect(f"/p/{page.pk}/")


@require_POST
def batch(request: HttpRequest, slug: str) -> HttpResponse:
    """Start one batch job over the selected documents (or the whole collection)."""
    coll = collection_for(request, slug, permissions.WRITE)
    kind = request.POST.get("kind", "")
    if kind not in BATCH_KINDS:
        messages.error(request, "The batch was not started: choose transcribe, segment, summarise or fine-tune.")
        return redirect(f"/c/{coll.slug}/")
    whole = request.POST.get("scope") == "all"
    raw = request.POST.getlist("documents")
    if not whole and not raw:
        messages.error(request, "The batch was not started: select documents first, or choose the whole collection.")
        return redirect(f"/c/{coll.slug}/")
    params: dict = {}
    model = request.POST.get("model", "")
    if model:
        if not model.isdigit() or not ModelVersion.objects.filter(pk=model, task=ModelTask.HTR).exists():
            messages.error(request, "The batch was not started: that recognizer does not exist.")
            return redirect(f"/c/{coll.slug}/")
        params["model"] = int(model)
    if kind == JobKind.TRANSCRIBE and request.POST.get("decoder") in ("greedy", "beam", "beam+lm"):
        params["decoder"] = request.POST["decoder"]
    if kind == JobKind.TRAIN and (request.POST.get("epochs") or "").isdigit():
        params["epochs"] = int(request.POST["epochs"])
    documents = None if whole else raw
    job, error = attempt(start_batch, kind, coll, user=request.user, documents=documents, params=params)
    if error:
        messages.error(request, f"The batch was not started: {error}")
        return redirect(f"/c/{coll.slug}/")
    n = job.progress_total
    skipped = len((job.result or {}).get("skipped") or [])
    messages.success(request, f"{job.get_kind_display()} batch #{job.pk} queued on {n} document{'s' if n != 1 else ''}"
                     + (f" ({skipped} skipped)" if skipped else "") + ".")
    return redirect(f"/jobs/{job.pk}/")


@require_POST
def page_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a page: to a position (1-based), or one place up or down."""
    from archive.services.pages import move_page

    page = page_for(request, pk, permissions.WRITE)
    raw = request.POST.get("position", "")
    direction = request.POST.get("direction")
    position = page.order + (0 if direction == "up" else 2) if direction in ("up", "down") else (int(raw) if raw.isdigit() else None)
    back = f"/d/{page.document_id}/#manage-pages"
    if position is None or position < 1:
        messages.error(request, "The page was not moved: give its new place as a number from 1.")
        return redirect(back)
    _, error = attempt(move_page, page, position, user=request.user)
    if error:
        messages.error(request, f"The page was not moved: {error}")
    else:
        page.refresh_from_db()
        messages.success(request, f"The page is now page {page.order + 1}.")
    return redirect(back)


@require_POST
def page_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Take a page out of its document; it is kept, with every inscription and annotation on it."""
    from archive.services.pages import remove_page

    page = page_for(request, pk, permissions.WRITE)
    _, error = attempt(remove_page, page, user=request.user)
    if error:
        messages.error(request, f"The page was not removed: {error}")
    else:
        messages.success(request, f"Page {page.order + 1} was removed from the document. It is kept, with its history, "
                                  "under “Removed pages”.")
    return redirect(f"/d/{page.document_id}/#manage-pages")


def _save_description(request: HttpRequest, form_class: type, save, target, noun: str, back: str) -> HttpResponse:
    """Validate a Dublin Core form and save it through its service, saying what happened either way."""
    form = form_class(request.POST, prefix="dc")
    if not form.is_valid():
        messages.error(request, "The description was not saved: " + form.errors_in_words())
        return redirect(back)
    _, error = attempt(save, target, **form.cleaned_data)
    if error:
        messages.error(request, f"The description was not saved: {error}")
    else:
        messages.success(request, f"The {noun}'s description is saved; exports carry it.")
    return redirect(back)


@require_POST
def describe_document(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a document's Dublin Core metadata (curators and owners)."""
    from archive.services.documents import update_document
    from web.forms import DocumentMetadataForm

    doc = document_for(request, pk, permissions.WRITE)
    return _save_description(request, DocumentMetadataForm, update_document, doc, "document", f"/d/{doc.pk}/")


@require_POST
def describe_collection(request: HttpRequest, slug: str) -> HttpResponse:
    """Edit a collection's Dublin Core metadata (owners)."""
    from archive.services.collections import describe_collection as describe
    from web.forms import CollectionMetadataForm

    coll = collection_for(request, slug, permissions.MANAGE)
    return _save_description(request, CollectionMetadataForm, describe, coll, "collection", f"/c/{coll.slug}/")


@require_POST
def export_document(request: HttpRequest, pk: int) -> HttpResponse:
    """Export one document in one format, as a job whose download link appears in the document's jobs."""
    from exchange.export_jobs import start_format_export

    doc = document_for(request, pk, permissions.WRITE)
    fmt = request.POST.get("format", "")
    job, error = attempt(start_format_export, fmt, doc.collection, user=request.user, document=doc,
                         base_url=request.build_absolute_uri("/").rstrip("/"))
    if error:
        messages.error(request, f"The export was not started: {error}")
    else:
        messages.success(request, f"Export job #{job.pk} queued; its download link appears under “Jobs on this document”.")
    return redirect(f"/d/{doc.pk}/")


@require_POST
def export_collection_format(request: HttpRequest, slug: str) -> HttpResponse:
    """Export every document of the collection in one format (a zip), as a job with a download link."""
    from exchange.export_jobs import start_format_export

    coll = collection_for(request, slug, permissions.WRITE)
    fmt = request.POST.get("format", "")
    job, error = attempt(start_format_export, fmt, coll, user=request.user,
                         base_url=request.build_absolute_uri("/").rstrip("/"))
    if error:
        messages.error(request, f"The export was not started: {error}")
    else:
        messages.success(request, f"Export job #{job.pk} queued; its download link appears on the job's page.")
        return redirect(f"/jobs/{job.pk}/")
    return redirect(f"/c/{coll.slug}/")
