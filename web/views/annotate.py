"""Annotating from the workspace: a text span of a line's inscription, or a region of the scan.

The browser builds the W3C target (TextQuote + TextPosition selectors on an inscription,
or a FragmentSelector ``xywh=`` / SvgSelector on the page); the body comes from the form.
The annotations service checks everything (selectors against the text, permissions).
"""
from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import escape
from django.views.decorators.http import require_POST

from archive import permissions
from inscription.models import Annotation
from inscription.services.annotations import create_annotation
from web.access import attempt, page_for
from web.regions import decorate

MAX_FIELD = 100_000


def _error(message: str, status: int = 400) -> HttpResponse:
    return HttpResponse(escape(message), status=status, content_type="text/plain; charset=utf-8")


def annotation_data(post) -> dict:
    """The platform annotation JSON from the workspace form (shape only; the service validates)."""
    try:
        target = json.loads(post.get("target") or "null")
    except ValueError as exc:
        raise ValueError("the selection could not be read; select the text or draw the region again") from exc
    if not target:
        raise ValueError("nothing is selected: select words in a line or draw a region on the scan first")
    targets = target if isinstance(target, list) else [target]
    body: list[dict] = []
    comment = (post.get("comment") or "").strip()
    if comment:
        body.append({"type": "TextualBody", "value": comment[:MAX_FIELD], "format": "text/plain", "purpose": "commenting"})
    for tag in (post.get("tags") or "").split(","):
        if tag.strip():
            body.append({"type": "TextualBody", "value": tag.strip(), "purpose": "tagging"})
    for link in (post.get("links") or "").split():
        body.append({"type": "Link", "source": link.strip(), "purpose": "linking"})
    return {"motivation": post.get("motivation") or "commenting", "body": body, "target": targets}


@require_POST
def annotate(request: HttpRequest, pk: int) -> HttpResponse:
    page = page_for(request, pk, permissions.WRITE)
    try:
        data = annotation_data(request.POST)
    except ValueError as exc:
        return _error(f"The annotation was not saved: {exc}.")
    ann, error = attempt(create_annotation, request.user, data)
    if error:
        return _error(f"The annotation was not saved: {error}")
    if ann.page_id not in (None, page.pk):
        return _error("The annotation was saved, but on another page.", status=200)
    response = list_response(request, page, {"annotation-saved": {"id": ann.pk}})
    response["X-Annotation"] = str(ann.pk)
    return response


def list_response(request: HttpRequest, page, trigger: dict | None = None) -> HttpResponse:  # noqa: ANN001
    """The page's annotation list (with region thumbnails and edit controls), as the workspace shows it."""
    from web.access import can

    annotations = decorate(list(Annotation.objects.filter(page=page, withdrawn=False).select_related("created_by")
                                .order_by("created_at")), page)
    response = render(request, "web/partials/annotation_list.html", {
        "annotations": annotations, "page": page, "may_write": can(request, page.document.collection, permissions.WRITE),
        "motivations": Annotation._meta.get_field("motivation").choices})
    if trigger:
        response["HX-Trigger"] = json.dumps(trigger)
    return response


def _annotation_for(request: HttpRequest, pk: int) -> Annotation:
    from django.shortcuts import get_object_or_404

    from web.access import require

    ann = get_object_or_404(Annotation.objects.select_related("collection", "page__document__collection"), pk=pk)
    require(request, ann.collection, permissions.WRITE)
    return ann


@require_POST
def annotation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """A new version of the annotation with the form's motivation and body; its target stays."""
    from inscription.services.annotations import edit_annotation

    ann = _annotation_for(request, pk)
    body = annotation_data({**request.POST.dict(), "target": json.dumps(ann.target)})["body"]
    if not body:
        return _error("The annotation was not saved: write a comment, a tag or a link (or delete it instead).")
    _, error = attempt(edit_annotation, ann, request.user, {"motivation": request.POST.get("motivation") or ann.motivation,
                                                            "body": body})
    if error:
        return _error(f"The annotation was not saved: {error}")
    return list_response(request, ann.page, {"annotation-edited": {"id": ann.pk}})


@require_POST
def annotation_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Withdraw the annotation: a recorded act (its versions stay in the history and the API)."""
    from inscription.services.annotations import withdraw_annotation

    ann = _annotation_for(request, pk)
    if ann.withdrawn:
        return _error("This annotation was already deleted.", status=409)
    _, error = attempt(withdraw_annotation, ann, request.user, (request.POST.get("reason") or "")[:2000])
    if error:
        return _error(f"The annotation was not deleted: {error}")
    return list_response(request, ann.page, {"annotation-withdrawn": {"id": ann.pk}})
