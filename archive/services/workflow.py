"""Page workflow status: new → segmented → transcribed → in correction → verified.

Why two writers with different rules: a job only ever moves a page forward (re-running a
transcription must not undo a curator's "verified"), while a curator may set any state,
including back to "in correction" when a verified page turns out wrong. Every change is a
new PageStatus row (append-only history); ``Page.status`` mirrors the newest row so counts
over a whole collection stay one cheap GROUP BY.
"""
from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from archive.models import PAGE_STATE_ORDER, Page, PageState, PageStatus
from palimpsest.errors import InputError


def set_page_status(page: Page, state: str, *, user: AbstractBaseUser | None = None, job=None, note: str = "") -> PageStatus | None:  # noqa: ANN001
    """A curator (or a service acting for one) sets the page's state; returns the new row, None if unchanged."""
    if state not in PageState.values:
        raise InputError(f"Unknown page status “{state}”; one of {', '.join(PageState.values)}.", code="bad_status",
                         detail={"states": PageState.values})
    if not isinstance(note, str) or len(note) > 500:
        raise InputError("The note must be text of at most 500 characters.", code="bad_note")
    with transaction.atomic():
        locked = Page.objects.select_for_update().get(pk=page.pk)
        if locked.status == state:
            return None
        row = PageStatus.objects.create(page=locked, state=state, previous=locked.status,
                                        set_by=user if (user is not None and user.is_authenticated) else None,
                                        job=job, note=note)
        Page.objects.filter(pk=locked.pk).update(status=state)
        page.status = state
    return row


def advance_pages(pages: Iterable[Page | int], state: str, *, job=None, user: AbstractBaseUser | None = None) -> int:  # noqa: ANN001
    """Move pages forward to ``state`` (never back): what a job or an edit does. Returns how many moved.

    Runs inside the caller's transaction when there is one (a job's batch of pages commits its
    readings and their status together)."""
    rank = PAGE_STATE_ORDER[state]
    ids = [p.pk if isinstance(p, Page) else int(p) for p in pages]
    if not ids:
        return 0
    behind = [s for s, r in PAGE_STATE_ORDER.items() if r < rank]
    with transaction.atomic(savepoint=False):
        moving = list(Page.objects.select_for_update().filter(pk__in=ids, status__in=behind).values_list("pk", "status"))
        if not moving:
            return 0
        who = user if (user is not None and user.is_authenticated) else None
        PageStatus.objects.bulk_create(
            [PageStatus(page_id=pk, state=state, previous=old, job=job, set_by=who) for pk, old in moving])
        Page.objects.filter(pk__in=[pk for pk, _ in moving]).update(status=state)
    return len(moving)


def page_history(page: Page):  # noqa: ANN201 - a QuerySet of PageStatus
    """Every state the page has been in, oldest first, with who or what set it."""
    return PageStatus.objects.filter(page=page).select_related("set_by", "job").order_by("created_at", "id")
