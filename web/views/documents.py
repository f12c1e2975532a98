"""Document page (metadata, pages, layers, summaries, jobs) and the page images themselves."""
from __future__ import annotations

from django.contrib import messages
from django.core.files.storage import default_storage
from django.db.models import Count, Q
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from archive import permissions
from archive.services.thumbnails import thumbnail
from inscription.models import Annotation, Inscription, InscriptionKind, LayerKind
from jobs import kinds
from jobs.models import Job, ModelTask, ModelVersion
from jobs.services.jobs import create_job
from web.access import attempt, can, document_for, page_for, safe_next
from web.forms import DocumentMetadataForm, JobStartForm

THUMB_SIZE = 256


def document_context(request: HttpRequest, doc) -> dict:  # noqa: ANN001
    """What the document page and its live parts show (the live partial re-renders it while jobs run)."""
    from archive.services.pages import removed_pages
    from inscription.services.progress import progress
    from jobs.models import FINAL_STATES

    coll = doc.collection
    pages = doc.pages.select_related("image").annotate(n_lines=Count("lines", distinct=True))
    layers = (
        doc.layers.select_related("model_version", "created_by")
        .annotate(
            n_current=Count("inscriptions", filter=Q(inscriptions__is_current=True), distinct=True),
            n_human=Count("inscriptions", filter=Q(inscriptions__created_by__isnull=False), distinct=True),
        )
        .order_by("created_at", "id")
    )
    summaries = (
        Inscription.objects.filter(document=doc, kind=InscriptionKind.SUMMARY, is_current=True, withdrawn=False)
        .select_related("layer", "model_version", "created_by")
        .order_by("-created_at")
    )
    jobs = Job.objects.filter(document=doc).select_related("requested_by")[:20]
    may_write = can(request, coll, permissions.WRITE)
    human_layers = [layer for layer in layers if layer.kind in (LayerKind.GROUND_TRUTH, LayerKind.IMPORT, LayerKind.OTHER)]
    return {
        "nav": "collections",
        "document": doc,
        "collection": coll,
        "pages": pages,
        "layers": layers,
        "human_layers": human_layers,
        "summaries": summaries,
        "jobs": jobs,
        # annotations kept on the document because their targets lie outside the archive (W3C import)
        "external_annotations": [a for a in Annotation.objects.filter(document=doc, page__isnull=True, withdrawn=False)
                                 .order_by("created_at", "id") if any(t.get("external") for t in a.target or [])],
        "jobs_active": any(j.state not in FINAL_STATES for j in jobs),
        "progress": progress(doc),
        "removed_pages": removed_pages(doc),
        "metadata_form": DocumentMetadataForm(prefix="dc", initial={f: getattr(doc, f) for f in DocumentMetadataForm.base_fields})
        if may_write else None,
        "may_write": may_write,
        "htr_models": ModelVersion.objects.filter(task=ModelTask.HTR).order_by("name", "-created_at"),
        # kinds registered without a form of their own on this page: the generic form, one field per parameter
        "generic_job_kinds": [k for k in kinds.document_form_kinds() if not k.custom_form],
        "breadcrumbs": [("Collections", "/"), (coll.title, f"/c/{coll.slug}/"), (doc.title, None)],
    }


def document_detail(request: HttpRequest, pk: int) -> HttpResponse:
    doc = document_for(request, pk)
    return render(request, "web/document.html", document_context(request, doc))


@require_POST
def start_job(request: HttpRequest, pk: int) -> HttpResponse:
    """Start a background job on this document (or one of its pages) through the jobs service."""
    doc = document_for(request, pk, permissions.WRITE)
    form = JobStartForm(request.POST)
    back = safe_next(request) or f"/d/{doc.pk}/"
    if not form.is_valid():
        messages.error(request, "The job was not started: " + form.errors_in_words())
        return redirect(back)
    data = form.cleaned_data
    spec = kinds.get(data["kind"])
    if spec is None or spec.form_fields is None:  # the registry says which kinds this form starts, with which fields
        messages.error(request, f"A {data['kind']} job is not started from a document page.")
        return redirect(back)
    page = None
    if data.get("page"):
        page = doc.pages.filter(pk=data["page"]).first()
        if page is None:
            messages.error(request, "The job was not started: that page is not part of this document.")
            return redirect(back)
    params = {k: data[k] for k in spec.form_fields if k in form.fields and data.get(k)}
    params.update(_generic_params(request, spec, form))
    job, error = attempt(create_job, data["kind"], doc.collection, user=request.user, document=doc, page=page, params=params)
    if error:
        messages.error(request, f"The {data['kind']} job was not started: {error}")
    else:
        messages.success(request, f"{job.get_kind_display()} job #{job.pk} queued. Its progress is shown below and on the Jobs page.")
    return redirect(back)


def _generic_params(request: HttpRequest, spec: kinds.JobKindSpec, form: JobStartForm) -> dict:
    """A registered kind's own parameters from the generic form: text as typed, whole numbers as integers
    (the kind's ``clean`` checks them, as it checks the API's)."""
    params: dict = {}
    for name in spec.form_fields or ():
        raw = request.POST.get(name, "").strip()
        if name in form.fields or not raw:
            continue
        params[name] = int(raw) if raw.isdigit() and len(raw) < 19 else raw
    return params


def page_image(request: HttpRequest, pk: int) -> HttpResponse:
    """The scan, served only to users who may read its collection (media is not public)."""
    page = page_for(request, pk)
    response = FileResponse(page.image.file.open("rb"), content_type=page.image.mime_type or "application/octet-stream")
    response["Cache-Control"] = "private, max-age=86400"
    response["ETag"] = f'"{page.image_id}"'
    return response


def page_thumbnail(request: HttpRequest, pk: int) -> HttpResponse:
    """A small JPEG of the scan (archive.services.thumbnails makes it once and keeps it)."""
    page = page_for(request, pk)
    name = thumbnail(page.image, THUMB_SIZE)
    response = FileResponse(default_storage.open(name, "rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=86400"
    return response
