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
    annotations = list(Annotation.objects.filter(page=page, withdrawn=False).select_related("created_by").order_by("created_at"))
    response = render(request, "web/partials/annotation_list.html", {"annotations": annotations})
    response["HX-Trigger"] = json.dumps({"annotation-saved": {"id": ann.pk}})
    response["X-Annotation"] = str(ann.pk)
    return response
