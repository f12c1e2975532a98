"""Import ALTO / PAGE / METS from the collection page (a new document) or a document page (a new layer).

Why a page of its own for the result: an import must say what it did not keep, with counts,
in the interface as in the API and the command; the result page lists it beside the
matching, the machine credited and the importer.
"""
from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from archive import permissions
from archive.models import Document
from exchange.formats.xml_import import import_xml, is_xml
from palimpsest.ids import as_id
from web.access import attempt, collection_for


@require_POST
def import_xml_view(request: HttpRequest, slug: str) -> HttpResponse:
    coll = collection_for(request, slug, permissions.WRITE)
    xml_files, images = [], []
    for upload in request.FILES.getlist("files"):
        data = upload.read()
        (xml_files if is_xml(upload.name, data) else images).append((upload.name, data))
    document = None
    if request.POST.get("document"):
        document = Document.objects.filter(pk=as_id(request.POST["document"]) or 0, collection=coll).first()
        if document is None:
            messages.error(request, "The import was refused: that document is not in this collection.")
            return redirect("collection", slug=slug)
    result, error = attempt(
        import_xml, coll, request.user, xml_files, images, title=request.POST.get("title", ""),
        ground_truth=request.POST.get("ground_truth") == "on", document=document, match=request.POST.get("match") or "auto",
    )
    if error:
        messages.error(request, f"The import was refused, nothing was stored: {error}")
        return redirect("document", pk=document.pk) if document is not None else redirect("collection", slug=slug)
    return render(request, "web/import_result.html", {"collection": coll, "result": result,
                                                      "document": result.document, "summary": result.summary()})
