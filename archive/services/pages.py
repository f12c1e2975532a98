"""A document's pages: reorder and remove (removal keeps history).

Why removal is not a delete: a page may carry inscriptions, annotations and a status
history, none of which the archive ever loses. A removed page leaves its document's
listing, exports and jobs (``Page.objects`` no longer sees it), keeps every row pointing
at it, and records who removed it, when and from which position.
"""
from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from archive.models import Document, Page
from palimpsest.errors import InputError

# Orders are unique per document; a renumbering first moves every page out of the way.
_SHIFT = 1_000_000


def _renumber(document: Document, ordered_ids: list[int]) -> None:
    Page.all_objects.filter(document=document, removed_at__isnull=True).update(order=F("order") + _SHIFT)
    for position, pk in enumerate(ordered_ids):
        Page.all_objects.filter(pk=pk).update(order=position)


def move_page(page: Page, position: int, *, user: AbstractBaseUser | None = None) -> list[int]:
    """Put the page at ``position`` (1-based, clamped); returns the document's page ids in the new order."""
    if isinstance(position, bool) or not isinstance(position, int):
        raise InputError("The position must be a whole number.", code="bad_position")
    with transaction.atomic():
        Document.objects.select_for_update().get(pk=page.document_id)
        ids = list(Page.objects.filter(document_id=page.document_id).order_by("order", "id").values_list("pk", flat=True))
        if page.pk not in ids:
            raise InputError("That page is not part of the document.", code="bad_target")
        ids.remove(page.pk)
        ids.insert(max(0, min(len(ids), position - 1)), page.pk)
        _renumber(page.document, ids)
    return ids


def reorder_pages(document: Document, ordered_ids: list[int]) -> list[int]:
    """Set the whole order at once; ``ordered_ids`` must be exactly the document's current pages."""
    with transaction.atomic():
        Document.objects.select_for_update().get(pk=document.pk)
        current = set(Page.objects.filter(document=document).values_list("pk", flat=True))
        try:
            wanted = [int(pk) for pk in ordered_ids]
        except (TypeError, ValueError) as exc:
            raise InputError("The order must be a list of page ids.", code="bad_order") from exc
        if len(wanted) != len(set(wanted)) or set(wanted) != current:
            raise InputError("The order must list every page of the document exactly once.", code="bad_order",
                             detail={"pages": sorted(current)})
        _renumber(document, wanted)
    return wanted


def remove_page(page: Page, *, user: AbstractBaseUser | None = None) -> Page:
    """Take the page out of its document (kept, with everything on it); the others close the gap."""
    with transaction.atomic():
        Document.objects.select_for_update().get(pk=page.document_id)
        locked = Page.all_objects.select_for_update().get(pk=page.pk)
        if locked.removed_at is not None:
            raise InputError("This page was already removed.", code="already_removed", status_code=409)
        top = Page.all_objects.filter(document_id=locked.document_id).aggregate(m=Max("order"))["m"] or 0
        Page.all_objects.filter(pk=locked.pk).update(
            removed_at=timezone.now(), removed_by=user if (user is not None and user.is_authenticated) else None,
            removed_from_order=locked.order, order=top + _SHIFT + 1 + locked.pk)
        rest = list(Page.objects.filter(document_id=locked.document_id).order_by("order", "id").values_list("pk", flat=True))
        _renumber(locked.document, rest)
    locked.refresh_from_db()
    return locked


def removed_pages(document: Document):  # noqa: ANN201 - a QuerySet of Page
    return Page.all_objects.filter(document=document, removed_at__isnull=False).select_related("removed_by").order_by("-removed_at")


def next_order(document: Document) -> int:
    """Where a page added to the document goes: after its last page."""
    top = Page.objects.filter(document=document).aggregate(m=Max("order"))["m"]
    return 0 if top is None else top + 1
