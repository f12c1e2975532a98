"""Jobs: a list with live progress (htmx polls a partial every second), cancel, and error text."""
from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from archive import permissions
from inscription.services.batches import batch_percent, cancel_batch, refresh_batch
from inscription.services.batches import children as batch_children
from jobs.models import FINAL_STATES, Job, JobState
from palimpsest.ids import as_id
from web.access import attempt, require, safe_next

PAGE_SIZE = 50


def _jobs_for(request: HttpRequest):
    jobs = Job.objects.filter(collection_id__in=permissions.readable_collection_ids(request.user)).select_related(
        "collection", "document", "page", "requested_by"
    )
    state = request.GET.get("state", "")
    if state in JobState.values:
        jobs = jobs.filter(state=state)
    document = request.GET.get("document", "")
    if document.isdigit():
        jobs = jobs.filter(document_id=as_id(document) or 0)
    else:
        jobs = jobs.filter(parent__isnull=True)  # a batch's children are listed on the batch's page
    collection = request.GET.get("collection", "")
    if collection:
        jobs = jobs.filter(collection__slug=collection)
    return jobs


def _context(request: HttpRequest) -> dict:
    jobs = list(_jobs_for(request)[:PAGE_SIZE])
    for i, job in enumerate(jobs):
        if job.is_batch and job.state not in FINAL_STATES:
            jobs[i] = refresh_batch(job)
            jobs[i].collection, jobs[i].document, jobs[i].requested_by = job.collection, job.document, job.requested_by
    writable = {
        c.pk for c in {j.collection for j in jobs} if permissions.can(request.user, c, permissions.WRITE)
    }
    for job in jobs:
        job.may_cancel = job.collection_id in writable and job.state not in FINAL_STATES and not job.cancel_requested
    return {
        "jobs": jobs,
        "any_active": any(j.state not in FINAL_STATES for j in jobs),
        "states": JobState.choices,
        "state": request.GET.get("state", ""),
        "query": request.GET.urlencode(),
        "compact": request.GET.get("compact", ""),
    }


def job_list(request: HttpRequest) -> HttpResponse:
    ctx = _context(request)
    ctx.update(nav="jobs", breadcrumbs=[("Jobs", None)])
    return render(request, "web/jobs.html", ctx)


def job_rows(request: HttpRequest) -> HttpResponse:
    """The table body alone, for htmx polling (every second while a job is active)."""
    return render(request, "web/partials/job_table.html", _context(request))


def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(Job.objects.select_related("collection", "document", "page", "requested_by"), pk=pk)
    require(request, job.collection)
    children = []
    if job.is_batch:
        if not job.is_final:
            fresh = refresh_batch(job)
            for field in ("state", "progress_done", "progress_total", "progress_message", "result", "finished_at", "error"):
                setattr(job, field, getattr(fresh, field))
        children = list(batch_children(job))
        job.batch_percent = batch_percent(job)
    job.may_cancel = permissions.can(request.user, job.collection, permissions.WRITE) and not job.is_final and not job.cancel_requested
    template = "web/partials/job_card.html" if request.headers.get("HX-Request") else "web/job.html"
    return render(request, template, {"job": job, "children": children, "nav": "jobs", "breadcrumbs": [("Jobs", "/jobs/"), (f"#{job.pk}", None)]})


@require_POST
def job_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(Job.objects.select_related("collection"), pk=pk)
    require(request, job.collection, permissions.WRITE)
    _, error = attempt(cancel_batch, job)  # a batch cancels all its children; any other job just itself
    if request.headers.get("HX-Request"):
        if error:
            return HttpResponse(f'<span class="error" role="alert">Not cancelled: {error}</span>', status=200)
        return job_rows(request)
    if error:
        messages.error(request, f"Job #{job.pk} was not cancelled: {error}")
    else:
        messages.success(request, f"Cancel requested for job #{job.pk}.")
    return redirect(safe_next(request) or "/jobs/")
