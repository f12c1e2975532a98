"""Home (the collections a user can read), one collection, and its members."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db.models import Count, Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from archive import permissions
from archive.models import Document, Membership, Page, PageState, Role
from archive.services import collections as collections_service
from archive.services.documents import create_document
from exchange.services import start_export
from inscription.models import Inscription
from jobs.models import Job, ModelTask, ModelVersion
from palimpsest.ids import as_id
from web.access import attempt, can, collection_for, safe_next
from web.forms import CollectionForm, CollectionMetadataForm, DocumentForm, MemberForm


def home(request: HttpRequest) -> HttpResponse:
    """Collections the user may read, with counts and what happened last in each."""
    collections = (
        permissions.readable_collections(request.user)
        .annotate(
            n_documents=Count("documents", distinct=True),
            n_pages=Count("documents__pages", distinct=True),
            last_document=Max("documents__updated_at"),
        )
        .select_related("owner")
        .order_by("title")
    )
    ids = [c.pk for c in collections]
    recent_jobs = Job.objects.filter(collection_id__in=ids).select_related("collection", "document", "requested_by")[:8]
    recent_inscriptions = (
        Inscription.objects.filter(document__collection_id__in=ids, created_by__isnull=False)
        .select_related("document", "created_by", "line")
        .order_by("-created_at")[:8]
    )
    return render(
        request,
        "web/home.html",
        {
            "nav": "collections",
            "collections": collections,
            "recent_jobs": recent_jobs,
            "recent_inscriptions": recent_inscriptions,
            "form": CollectionForm() if request.user.is_authenticated else None,
        },
    )


@require_POST
def collection_create(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    form = CollectionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The collection was not created: " + form.errors_in_words())
        return redirect("home")
    coll, error = attempt(collections_service.create_collection, owner=request.user, **form.cleaned_data)
    if error:
        messages.error(request, f"The collection was not created: {error}")
        return redirect("home")
    messages.success(request, f"Collection “{coll.title}” created.")
    return redirect("collection", slug=coll.slug)


def collection_context(request: HttpRequest, coll) -> dict:  # noqa: ANN001
    """What the collection page and its live overview show (documents with their progress, recent jobs)."""
    from inscription.services.progress import document_progress, progress
    from jobs.models import FINAL_STATES

    documents = list(
        Document.objects.filter(collection=coll)
        .annotate(n_pages=Count("pages", distinct=True), n_layers=Count("layers", distinct=True))
        .order_by("title", "id")
    )
    per_document = document_progress(Document.objects.filter(collection=coll))
    for d in documents:
        counts = per_document.get(d.pk) or {}
        d.state_counts = [(state, label, counts.get(state, 0), 100 * counts.get(state, 0) / d.n_pages if d.n_pages else 0)
                          for state, label in PageState.choices]
        d.n_verified = counts.get(PageState.VERIFIED, 0)
    jobs = list(Job.objects.filter(collection=coll, parent__isnull=True).select_related("document", "requested_by")[:10])
    may_write = can(request, coll, permissions.WRITE)
    return {
        "nav": "collections",
        "collection": coll,
        "documents": documents,
        "jobs": jobs,
        "jobs_active": any(j.state not in FINAL_STATES for j in jobs),
        "progress": progress(coll),
        "may_write": may_write,
        "may_manage": can(request, coll, permissions.MANAGE),
        "document_form": DocumentForm() if may_write else None,
        "metadata_form": CollectionMetadataForm(prefix="dc", initial={f: getattr(coll, f) for f in CollectionMetadataForm.base_fields})
        if can(request, coll, permissions.MANAGE) else None,
        "htr_models": ModelVersion.objects.filter(task=ModelTask.HTR).order_by("name", "-created_at"),
        "n_pages": Page.objects.filter(document__collection=coll).count(),
        "breadcrumbs": [("Collections", "/"), (coll.title, None)],
    }


def collection_detail(request: HttpRequest, slug: str) -> HttpResponse:
    coll = collection_for(request, slug)
    return render(request, "web/collection.html", collection_context(request, coll))


@require_POST
def document_create(request: HttpRequest, slug: str) -> HttpResponse:
    coll = collection_for(request, slug, permissions.WRITE)
    form = DocumentForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The document was not created: " + form.errors_in_words())
        return redirect("collection", slug=slug)
    doc, error = attempt(create_document, user=request.user, collection=coll, **form.cleaned_data)
    if error:
        messages.error(request, f"The document was not created: {error}")
        return redirect("collection", slug=slug)
    messages.success(request, f"Document “{doc.title}” created. Add its pages by dropping scans below.")
    return redirect("document", pk=doc.pk)


@require_POST
def default_model(request: HttpRequest, slug: str) -> HttpResponse:
    """Choose the recognizer this collection's transcribe jobs use by default (owner or curator)."""
    coll = collection_for(request, slug, permissions.WRITE)
    raw = request.POST.get("model", "")
    model = ModelVersion.objects.filter(pk=as_id(raw), task=ModelTask.HTR).first() if as_id(raw) else None
    if raw and model is None:
        messages.error(request, "That model does not exist or is not a handwriting recognizer.")
    else:
        _, error = attempt(collections_service.set_default_model, coll, model, request.user)
        if error:
            messages.error(request, f"The default model was not changed: {error}")
        else:
            messages.success(request, f"Default model: {model}." if model else "No default model: the shipped default is used.")
    return redirect(safe_next(request) or f"/c/{coll.slug}/")


@require_http_methods(["GET", "POST"])
def members(request: HttpRequest, slug: str) -> HttpResponse:
    """Owners add members, change roles and remove members."""
    coll = collection_for(request, slug, permissions.MANAGE)
    if request.method == "POST":
        form = MemberForm(request.POST)
        if form.is_valid():
            user = get_user_model().objects.filter(username=form.cleaned_data["username"]).first()
            if user is None:
                messages.error(request, f"There is no user called “{form.cleaned_data['username']}”.")
            else:
                action = form.cleaned_data["action"]
                if action == "remove":
                    _, error = attempt(collections_service.remove_user, coll, user)
                else:
                    _, error = attempt(collections_service.set_member_role, coll, user, form.cleaned_data["role"])
                if error:
                    messages.error(request, error)
                elif action == "remove":
                    messages.success(request, f"{user.get_username()} is no longer a member.")
                else:
                    messages.success(request, f"{user.get_username()} is now {form.cleaned_data['role']}.")
        else:
            messages.error(request, form.errors_in_words())
        return redirect("members", slug=slug)
    memberships = Membership.objects.filter(collection=coll).select_related("user").order_by("user__username")
    return render(
        request,
        "web/members.html",
        {
            "nav": "collections",
            "collection": coll,
            "memberships": memberships,
            "roles": Role.choices,
            "form": MemberForm(),
            "breadcrumbs": [("Collections", "/"), (coll.title, f"/c/{coll.slug}/"), ("Members", None)],
        },
    )


@require_POST
def export(request: HttpRequest, slug: str) -> HttpResponse:
    """Export the whole collection as a zip: a background job (exchange.tasks.export_collection, Celery name "archive.tasks.export_collection")."""
    coll = collection_for(request, slug, permissions.WRITE)
    job, error = attempt(start_export, coll, request.user, request.build_absolute_uri("/").rstrip("/"))
    if error:
        messages.error(request, f"The export was not started: {error}")
    else:
        messages.success(request, f"Export job #{job.pk} queued; its download link appears in the jobs list when it is done.")
    return redirect(safe_next(request) or f"/c/{coll.slug}/")
